//! The EmailReservation aggregate (stream `user-email-{sha256(lowercased email)}`):
//! the one place that decides who owns an email address.
//!
//! Registration appends here first, with expected version "no stream" on a fresh
//! address, so of two concurrent registrations only one can win. If the winner's
//! process dies before its user stream is written, the reservation is orphaned; a
//! later registration may take it over once it is older than [`RESERVATION_TTL_SECS`]
//! and the holder's account still does not exist.

use chrono::{DateTime, Utc};

use crate::events::{EmailReservationReleased, EmailReserved};
use crate::{Aggregate, DomainError, DomainEvent, UserId};

/// How long an orphaned reservation blocks its address.
pub const RESERVATION_TTL_SECS: i64 = 60;

/// The EmailReservation aggregate.
pub struct EmailReservation;

/// Who holds the address.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ReservationState {
    /// Nobody.
    #[default]
    Free,
    /// This account, since then.
    Reserved {
        /// The holder.
        user_id: UserId,
        /// Since when.
        at: DateTime<Utc>,
    },
}

/// Commands on an address.
#[derive(Debug, Clone)]
pub enum ReservationCommand {
    /// Reserve the address for `user_id`.
    Reserve {
        /// The account that wants it.
        user_id: UserId,
        /// Whether the current holder's account exists (looked up by the caller).
        holder_registered: bool,
        /// The time of the request.
        now: DateTime<Utc>,
    },
}

impl Aggregate for EmailReservation {
    type State = ReservationState;
    type Command = ReservationCommand;
    const STREAM_PREFIX: &'static str = "user-email";

    fn evolve(state: ReservationState, event: &DomainEvent) -> ReservationState {
        match event {
            DomainEvent::EmailReserved(e) => ReservationState::Reserved {
                user_id: e.user_id,
                at: e.reserved_at,
            },
            DomainEvent::EmailReservationReleased(_) => ReservationState::Free,
            _ => state,
        }
    }

    fn decide(
        state: &ReservationState,
        command: &ReservationCommand,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        let ReservationCommand::Reserve {
            user_id,
            holder_registered,
            now,
        } = command;
        let reserve = DomainEvent::EmailReserved(EmailReserved {
            user_id: *user_id,
            reserved_at: *now,
        });
        match state {
            ReservationState::Free => Ok(vec![reserve]),
            ReservationState::Reserved {
                user_id: holder, ..
            } if holder == user_id => Ok(vec![]),
            ReservationState::Reserved {
                user_id: holder,
                at,
            } => {
                let orphaned =
                    !holder_registered && (*now - *at).num_seconds() >= RESERVATION_TTL_SECS;
                if !orphaned {
                    return Err(DomainError::EmailTaken);
                }
                Ok(vec![
                    DomainEvent::EmailReservationReleased(EmailReservationReleased {
                        user_id: *holder,
                        released_at: *now,
                    }),
                    reserve,
                ])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 8, 28, 9, 0, 0).unwrap()
    }
    fn alice() -> UserId {
        "68afea5f8ed95fae8f7f6d86".parse().unwrap()
    }
    fn bob() -> UserId {
        "68afea5f8ed95fae8f7f6d87".parse().unwrap()
    }
    fn reserved_by(user_id: UserId) -> DomainEvent {
        DomainEvent::EmailReserved(EmailReserved {
            user_id,
            reserved_at: t0(),
        })
    }
    fn reserve(user_id: UserId, holder_registered: bool, now: DateTime<Utc>) -> ReservationCommand {
        ReservationCommand::Reserve {
            user_id,
            holder_registered,
            now,
        }
    }

    #[test]
    fn a_free_address_is_reserved() {
        given::<EmailReservation>([])
            .when(reserve(alice(), false, t0()))
            .then([reserved_by(alice())]);
    }

    #[test]
    fn a_duplicate_email_is_refused() {
        given::<EmailReservation>([reserved_by(alice())])
            .when(reserve(bob(), true, t0() + Duration::days(30)))
            .then_err(DomainError::EmailTaken);
    }

    #[test]
    fn a_retry_by_the_holder_changes_nothing() {
        given::<EmailReservation>([reserved_by(alice())])
            .when(reserve(alice(), false, t0()))
            .then([]);
    }

    #[test]
    fn a_fresh_reservation_whose_account_is_still_being_written_is_respected() {
        given::<EmailReservation>([reserved_by(alice())])
            .when(reserve(bob(), false, t0() + Duration::seconds(5)))
            .then_err(DomainError::EmailTaken);
    }

    #[test]
    fn an_orphaned_reservation_is_taken_over_after_the_ttl() {
        let later = t0() + Duration::seconds(RESERVATION_TTL_SECS);
        given::<EmailReservation>([reserved_by(alice())])
            .when(reserve(bob(), false, later))
            .then([
                DomainEvent::EmailReservationReleased(EmailReservationReleased {
                    user_id: alice(),
                    released_at: later,
                }),
                DomainEvent::EmailReserved(EmailReserved {
                    user_id: bob(),
                    reserved_at: later,
                }),
            ]);
    }
}
