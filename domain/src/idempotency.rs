//! The IdempotencyClaim aggregate (stream `idempotency-{sha256(actor, key)}`): binds
//! a client's `Idempotency-Key` to the stream its command writes, so that a retried
//! create targets the same new id instead of making a second one.

use chrono::{DateTime, Utc};

use crate::events::IdempotencyKeyClaimed;
use crate::{Aggregate, DomainError, DomainEvent};

/// The IdempotencyClaim aggregate.
pub struct IdempotencyClaim;

/// The stream a key is bound to, once claimed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimState {
    /// Set once the key was first used.
    pub target_stream: Option<String>,
}

/// Claim a key for a stream.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The stream the command will write.
    pub target_stream: String,
    /// The time of the request.
    pub now: DateTime<Utc>,
}

impl Aggregate for IdempotencyClaim {
    type State = ClaimState;
    type Command = Claim;
    const STREAM_PREFIX: &'static str = "idempotency";

    fn evolve(mut state: ClaimState, event: &DomainEvent) -> ClaimState {
        if let DomainEvent::IdempotencyKeyClaimed(e) = event {
            state
                .target_stream
                .get_or_insert_with(|| e.target_stream.clone());
        }
        state
    }

    /// The first claim wins; later ones change nothing (the caller then reads the
    /// bound stream from the state).
    fn decide(state: &ClaimState, command: &Claim) -> Result<Vec<DomainEvent>, DomainError> {
        if state.target_stream.is_some() {
            return Ok(vec![]);
        }
        Ok(vec![DomainEvent::IdempotencyKeyClaimed(
            IdempotencyKeyClaimed {
                target_stream: command.target_stream.clone(),
                claimed_at: command.now,
            },
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 8, 28, 9, 0, 0).unwrap()
    }
    fn claimed(stream: &str) -> DomainEvent {
        DomainEvent::IdempotencyKeyClaimed(IdempotencyKeyClaimed {
            target_stream: stream.into(),
            claimed_at: now(),
        })
    }

    #[test]
    fn a_new_key_is_bound_to_its_stream() {
        given::<IdempotencyClaim>([])
            .when(Claim {
                target_stream: "meeting-a".into(),
                now: now(),
            })
            .then([claimed("meeting-a")]);
    }

    #[test]
    fn a_used_key_keeps_its_first_stream() {
        given::<IdempotencyClaim>([claimed("meeting-a")])
            .when(Claim {
                target_stream: "meeting-b".into(),
                now: now(),
            })
            .then([]);
        let state = IdempotencyClaim::fold(&[claimed("meeting-a")]);
        assert_eq!(state.target_stream.as_deref(), Some("meeting-a"));
    }
}
