//! The audit trail (streams `audit-{yyyy-mm-dd}`): who asked for what, on which
//! resource, from where, and what came of it. Entries are facts about requests,
//! appended in arrival order; no rule depends on earlier entries.

use chrono::{DateTime, Utc};

use crate::events::{AuditOutcome, AuditRecorded};
use crate::validate::required_text;
use crate::{Aggregate, DomainError, DomainEvent, UserId};

/// The audit trail of one day.
pub struct AuditDay;

/// Record one request's outcome.
#[derive(Debug, Clone)]
pub struct RecordAudit {
    /// The signed-in caller, when known.
    pub actor_id: Option<UserId>,
    /// What was asked, e.g. `DELETE /room/{roomId}/files`.
    pub action: String,
    /// The resource, e.g. the request's path.
    pub resource: String,
    /// What came of it.
    pub outcome: AuditOutcome,
    /// The HTTP status answered.
    pub status: u16,
    /// The client's address.
    pub ip: Option<String>,
    /// The request's id.
    pub request_id: String,
    /// When.
    pub now: DateTime<Utc>,
}

impl AuditDay {
    /// The stream id part of a time: its UTC date.
    pub fn day_of(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%d").to_string()
    }
}

impl Aggregate for AuditDay {
    type State = ();
    type Command = RecordAudit;
    const STREAM_PREFIX: &'static str = "audit";

    fn evolve(state: (), _event: &DomainEvent) {
        state
    }

    fn decide(_state: &(), c: &RecordAudit) -> Result<Vec<DomainEvent>, DomainError> {
        Ok(vec![DomainEvent::AuditRecorded(AuditRecorded {
            actor_id: c.actor_id,
            action: required_text("action", &c.action, 200)?,
            resource: required_text("resource", &c.resource, 2_000)?,
            outcome: c.outcome,
            status: c.status,
            ip: c.ip.clone(),
            request_id: c.request_id.clone(),
            at: c.now,
        })])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;

    fn entry(action: &str) -> RecordAudit {
        RecordAudit {
            actor_id: None,
            action: action.into(),
            resource: "/room/68cd413466eab302c9f078cd/files".into(),
            outcome: AuditOutcome::Denied,
            status: 403,
            ip: Some("203.0.113.7".into()),
            request_id: "r-1".into(),
            now: "2026-11-28T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_denied_request_is_recorded_with_who_what_and_where() {
        let recorded = AuditDay::decide(&(), &entry("DELETE /room/{roomId}/files")).unwrap();
        let DomainEvent::AuditRecorded(e) = &recorded[0] else {
            panic!("{recorded:?}");
        };
        assert_eq!(e.outcome, AuditOutcome::Denied);
        assert_eq!(e.ip.as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn an_entry_names_its_action() {
        given::<AuditDay>([])
            .when(entry(" "))
            .then_invalid("action");
    }

    #[test]
    fn entries_go_to_the_stream_of_their_day() {
        let at = "2026-11-28T23:59:59Z".parse().unwrap();
        assert_eq!(
            AuditDay::stream_name(AuditDay::day_of(at)),
            "audit-2026-11-28"
        );
    }
}
