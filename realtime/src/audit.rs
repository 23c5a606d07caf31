//! Refused room sockets and host controls in the audit trail: the same
//! `AuditRecorded` entries in `audit-{yyyy-mm-dd}` as refused HTTP requests, with
//! the action `SOCKET <message>`.

use altegon_commands::{Actor, CommandBus, CommandContext};
use altegon_domain::UserId;
use altegon_domain::audit::{AuditDay, RecordAudit};
use altegon_domain::events::AuditOutcome;
use chrono::Utc;

/// One refusal.
#[derive(Debug)]
pub(crate) struct Refused {
    /// The token's holder, when the token was valid.
    pub(crate) user: Option<UserId>,
    /// `SOCKET connect` or `SOCKET <message>`.
    pub(crate) action: String,
    /// The socket path or `room/{id}`.
    pub(crate) resource: String,
    /// 401 for a refused connection, 403 for a refused message.
    pub(crate) status: u16,
    /// The client's address.
    pub(crate) ip: Option<String>,
}

/// Appends the entry in the background: a socket never waits for the trail.
pub(crate) fn record_refusal(bus: &CommandBus, refused: Refused) {
    let bus = bus.clone();
    tokio::spawn(async move {
        let mut ctx = CommandContext::new(Actor {
            id: refused.user.map(|u| u.to_string()),
            roles: vec![],
        });
        ctx.client_ip = refused.ip.clone();
        let now = Utc::now();
        let entry = RecordAudit {
            actor_id: refused.user,
            action: refused.action,
            resource: refused.resource,
            outcome: AuditOutcome::Denied,
            status: refused.status,
            ip: refused.ip,
            request_id: ctx.request_id.clone(),
            now,
        };
        if let Err(e) = bus
            .append_independent::<AuditDay>(&ctx, AuditDay::day_of(now), &entry)
            .await
        {
            tracing::error!(error = %e, action = %entry.action, "audit entry not recorded");
        }
    });
}
