//! The WebhookEndpoint aggregate (stream `webhook-{endpointId}`): where an
//! integrator wants to hear about meetings, which kinds of events, and whether
//! deliveries are on. The catalogue of webhook event types maps each public name
//! to the domain event it announces.
//!
//! The signing secret arrives here already sealed; the network rules for URLs
//! (HTTPS only, no private addresses) are checked by the webhooks crate, which
//! knows the deployment's settings. Here: ownership, scope and field shapes.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::events::{
    WebhookEndpointDeleted, WebhookEndpointDisabled, WebhookEndpointEnabled,
    WebhookEndpointRegistered, WebhookEndpointUpdated, WebhookScope,
};
use crate::meeting::Caller;
use crate::{Aggregate, DomainError, DomainEvent, UserId, WebhookId};

/// Public webhook event types and the domain event each announces.
pub const WEBHOOK_EVENT_TYPES: &[(&str, &str)] = &[
    ("meeting.created", "MeetingCreated"),
    ("meeting.updated", "MeetingUpdated"),
    ("session.started", "SessionStarted"),
    ("session.ended", "SessionEnded"),
    ("participant.joined", "ParticipantJoined"),
    ("participant.left", "ParticipantLeft"),
    ("recording.started", "RecordingStarted"),
    ("recording.stopped", "RecordingStopped"),
    ("recording.processed", "RecordingProcessed"),
    ("recording.processing_failed", "RecordingProcessingFailed"),
    ("recording.uploaded", "RecordingFileUploaded"),
    ("summary.ready", "MeetingSummaryGenerated"),
    ("storage.warning", "StorageWarningLevelReached"),
];

/// Subscribes an endpoint to every type in [`WEBHOOK_EVENT_TYPES`], present and future.
pub const ALL_EVENT_TYPES: &str = "*";

/// The type of the event a "send test event" call delivers.
pub const TEST_EVENT_TYPE: &str = "webhook.test";

/// The public type announcing domain event type `domain_type`, if any.
pub fn public_type(domain_type: &str) -> Option<&'static str> {
    WEBHOOK_EVENT_TYPES
        .iter()
        .find(|(_, d)| *d == domain_type)
        .map(|(p, _)| *p)
}

/// Whether an endpoint subscribed to `event_types` wants events of `public_type`.
pub fn wants(event_types: &[String], public_type: &str) -> bool {
    event_types
        .iter()
        .any(|t| t == ALL_EVENT_TYPES || t == public_type)
}

/// The endpoint an endpoint event is about.
pub fn endpoint_of(event: &DomainEvent) -> Option<WebhookId> {
    match event {
        DomainEvent::WebhookEndpointRegistered(e) => Some(e.endpoint_id),
        DomainEvent::WebhookEndpointUpdated(e) => Some(e.endpoint_id),
        DomainEvent::WebhookEndpointDisabled(e) => Some(e.endpoint_id),
        DomainEvent::WebhookEndpointEnabled(e) => Some(e.endpoint_id),
        DomainEvent::WebhookEndpointDeleted(e) => Some(e.endpoint_id),
        _ => None,
    }
}

/// Longest accepted URL, in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// The WebhookEndpoint aggregate.
pub struct WebhookEndpoint;

/// An endpoint's settings as registered and updated.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSettings {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// Who may change it.
    pub owner_id: UserId,
    /// Whose events it receives.
    pub scope: WebhookScope,
    /// Where deliveries go.
    pub url: String,
    /// Public event types, or `*`.
    pub event_types: Vec<String>,
    /// The owner's note.
    pub description: String,
    /// The sealed signing secret.
    pub secret: String,
}

impl EndpointSettings {
    /// Whether the endpoint wants events of public type `public_type`.
    pub fn wants(&self, public_type: &str) -> bool {
        wants(&self.event_types, public_type)
    }
}

/// What is known of an endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookState {
    /// Settings, once registered.
    pub settings: Option<EndpointSettings>,
    /// Why deliveries are off, when they are.
    pub disabled: Option<String>,
    /// Removed: no further changes.
    pub deleted: bool,
}

impl WebhookState {
    /// The settings of an endpoint that exists and is not deleted.
    pub fn live(&self) -> Option<&EndpointSettings> {
        self.settings.as_ref().filter(|_| !self.deleted)
    }
}

/// Changes to an endpoint; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookChanges {
    /// New delivery URL (already allowed by the URL policy).
    pub url: Option<String>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// New note.
    pub description: Option<String>,
    /// Turn deliveries on or off.
    pub enabled: Option<bool>,
}

/// Commands for an endpoint.
#[derive(Debug, Clone)]
pub enum WebhookCommand {
    /// Register a new endpoint.
    Register {
        /// Its id.
        endpoint_id: WebhookId,
        /// Whose events it receives.
        scope: WebhookScope,
        /// Where deliveries go (already allowed by the URL policy).
        url: String,
        /// Public event types, or `*`.
        event_types: Vec<String>,
        /// The owner's note.
        description: String,
        /// The sealed signing secret.
        secret: String,
        /// Who registers it; they own it.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Change settings, or turn deliveries on or off.
    Update {
        /// What to change.
        changes: WebhookChanges,
        /// Who asks.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Turn deliveries off because they kept failing (the server's own decision).
    DisableFailing {
        /// What went wrong, for the owner.
        reason: String,
        /// When.
        now: DateTime<Utc>,
    },
    /// Remove the endpoint.
    Delete {
        /// Who asks.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
}

impl Aggregate for WebhookEndpoint {
    type State = WebhookState;
    type Command = WebhookCommand;
    const STREAM_PREFIX: &'static str = "webhook";

    fn evolve(mut state: WebhookState, event: &DomainEvent) -> WebhookState {
        match event {
            DomainEvent::WebhookEndpointRegistered(e) => {
                state.settings = Some(EndpointSettings {
                    endpoint_id: e.endpoint_id,
                    owner_id: e.owner_id,
                    scope: e.scope,
                    url: e.url.clone(),
                    event_types: e.event_types.clone(),
                    description: e.description.clone(),
                    secret: e.secret.clone(),
                });
            }
            DomainEvent::WebhookEndpointUpdated(e) => {
                if let Some(settings) = &mut state.settings {
                    if let Some(url) = &e.url {
                        settings.url.clone_from(url);
                    }
                    if let Some(types) = &e.event_types {
                        settings.event_types.clone_from(types);
                    }
                    if let Some(description) = &e.description {
                        settings.description.clone_from(description);
                    }
                }
            }
            DomainEvent::WebhookEndpointDisabled(e) => state.disabled = Some(e.reason.clone()),
            DomainEvent::WebhookEndpointEnabled(_) => state.disabled = None,
            DomainEvent::WebhookEndpointDeleted(_) => state.deleted = true,
            _ => {}
        }
        state
    }

    fn decide(
        state: &WebhookState,
        command: &WebhookCommand,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            WebhookCommand::Register {
                endpoint_id,
                scope,
                url,
                event_types: types,
                description: note,
                secret,
                caller,
                now,
            } => {
                if state.settings.is_some() {
                    return Err(DomainError::AlreadyExists("webhook endpoint"));
                }
                if *scope == WebhookScope::App && !caller.is_admin {
                    return Err(DomainError::Forbidden(
                        "only an administrator may register an app-wide webhook",
                    ));
                }
                if secret.is_empty() {
                    return Err(DomainError::invalid("secret", "must not be empty"));
                }
                Ok(vec![DomainEvent::WebhookEndpointRegistered(
                    WebhookEndpointRegistered {
                        endpoint_id: *endpoint_id,
                        owner_id: caller.user_id,
                        scope: *scope,
                        url: delivery_url(url)?,
                        event_types: event_types(types)?,
                        description: description(note)?,
                        secret: secret.clone(),
                        registered_at: *now,
                    },
                )])
            }
            WebhookCommand::Update {
                changes,
                caller,
                now,
            } => {
                let settings = owned(state, caller)?;
                let endpoint_id = settings.endpoint_id;
                let url = changes
                    .url
                    .as_deref()
                    .map(delivery_url)
                    .transpose()?
                    .filter(|u| *u != settings.url);
                let types = changes
                    .event_types
                    .as_deref()
                    .map(event_types)
                    .transpose()?
                    .filter(|t| *t != settings.event_types);
                let note = changes
                    .description
                    .as_deref()
                    .map(description)
                    .transpose()?
                    .filter(|d| *d != settings.description);
                let mut events = Vec::new();
                if url.is_some() || types.is_some() || note.is_some() {
                    events.push(DomainEvent::WebhookEndpointUpdated(
                        WebhookEndpointUpdated {
                            endpoint_id,
                            url,
                            event_types: types,
                            description: note,
                            updated_by: caller.user_id,
                            updated_at: *now,
                        },
                    ));
                }
                match (changes.enabled, state.disabled.is_some()) {
                    (Some(true), true) => {
                        events.push(DomainEvent::WebhookEndpointEnabled(
                            WebhookEndpointEnabled {
                                endpoint_id,
                                enabled_by: caller.user_id,
                                enabled_at: *now,
                            },
                        ));
                    }
                    (Some(false), false) => {
                        events.push(DomainEvent::WebhookEndpointDisabled(
                            WebhookEndpointDisabled {
                                endpoint_id,
                                reason: "disabled by a user".into(),
                                disabled_by: Some(caller.user_id),
                                disabled_at: *now,
                            },
                        ));
                    }
                    _ => {}
                }
                Ok(events)
            }
            WebhookCommand::DisableFailing { reason, now } => {
                let Some(settings) = state.live().filter(|_| state.disabled.is_none()) else {
                    return Ok(vec![]);
                };
                Ok(vec![DomainEvent::WebhookEndpointDisabled(
                    WebhookEndpointDisabled {
                        endpoint_id: settings.endpoint_id,
                        reason: reason.clone(),
                        disabled_by: None,
                        disabled_at: *now,
                    },
                )])
            }
            WebhookCommand::Delete { caller, now } => {
                let settings = owned(state, caller)?;
                Ok(vec![DomainEvent::WebhookEndpointDeleted(
                    WebhookEndpointDeleted {
                        endpoint_id: settings.endpoint_id,
                        deleted_by: caller.user_id,
                        deleted_at: *now,
                    },
                )])
            }
        }
    }
}

/// The endpoint's settings, when `caller` owns it or is an administrator.
fn owned<'a>(
    state: &'a WebhookState,
    caller: &Caller,
) -> Result<&'a EndpointSettings, DomainError> {
    let settings = state
        .live()
        .ok_or(DomainError::NotFound("webhook endpoint"))?;
    if settings.owner_id != caller.user_id && !caller.is_admin {
        return Err(DomainError::Forbidden(
            "only the owner or an administrator may change this webhook",
        ));
    }
    Ok(settings)
}

/// A URL of at most [`MAX_URL_BYTES`] bytes, `http` or `https`, with a host and
/// without spaces, control characters or credentials.
pub fn delivery_url(value: &str) -> Result<String, DomainError> {
    let url = value.trim();
    let refuse = |message: &str| DomainError::invalid("url", message);
    if url.is_empty() {
        return Err(refuse("must not be empty"));
    }
    if url.len() > MAX_URL_BYTES {
        return Err(refuse(&format!("must be at most {MAX_URL_BYTES} bytes")));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse("must not contain spaces or control characters"));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| refuse("must be an http or https URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(refuse("must not carry a user name or password"));
    }
    if authority.is_empty() || authority.starts_with(':') {
        return Err(refuse("must name a host"));
    }
    Ok(url.to_owned())
}

/// A non-empty list of known public event types (or `*`), sorted, without repeats.
pub fn event_types(values: &[String]) -> Result<Vec<String>, DomainError> {
    let mut types = BTreeSet::new();
    for value in values {
        let value = value.trim();
        let known =
            value == ALL_EVENT_TYPES || WEBHOOK_EVENT_TYPES.iter().any(|(p, _)| *p == value);
        if !known {
            return Err(DomainError::invalid(
                "eventTypes",
                format!("unknown event type {value:?}; see GET /webhooks/event-types"),
            ));
        }
        types.insert(value.to_owned());
    }
    if types.is_empty() {
        return Err(DomainError::invalid(
            "eventTypes",
            "must name at least one event type, or \"*\"",
        ));
    }
    Ok(types.into_iter().collect())
}

/// A trimmed note of at most [`MAX_DESCRIPTION_CHARS`] characters (may be empty).
pub fn description(value: &str) -> Result<String, DomainError> {
    let value = value.trim();
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(DomainError::invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
    }
    fn id() -> WebhookId {
        "6929a1b2c3d4e5f601020304".parse().unwrap()
    }
    fn owner() -> Caller {
        Caller {
            user_id: "68de7a9d8f40ff41c940c7fb".parse().unwrap(),
            is_admin: false,
        }
    }
    fn stranger() -> Caller {
        Caller {
            user_id: "68de7a9d8f40ff41c940c7fc".parse().unwrap(),
            is_admin: false,
        }
    }
    fn admin() -> Caller {
        Caller {
            is_admin: true,
            ..stranger()
        }
    }
    fn register(scope: WebhookScope, caller: Caller) -> WebhookCommand {
        WebhookCommand::Register {
            endpoint_id: id(),
            scope,
            url: " https://hooks.example.com/altegon ".into(),
            event_types: vec!["session.started".into(), "session.ended".into()],
            description: "CRM".into(),
            secret: "sealed".into(),
            caller,
            now: now(),
        }
    }
    fn registered() -> DomainEvent {
        DomainEvent::WebhookEndpointRegistered(WebhookEndpointRegistered {
            endpoint_id: id(),
            owner_id: owner().user_id,
            scope: WebhookScope::User,
            url: "https://hooks.example.com/altegon".into(),
            event_types: vec!["session.ended".into(), "session.started".into()],
            description: "CRM".into(),
            secret: "sealed".into(),
            registered_at: now(),
        })
    }
    fn update(changes: WebhookChanges, caller: Caller) -> WebhookCommand {
        WebhookCommand::Update {
            changes,
            caller,
            now: now(),
        }
    }
    fn disabled_by_server() -> DomainEvent {
        DomainEvent::WebhookEndpointDisabled(WebhookEndpointDisabled {
            endpoint_id: id(),
            reason: "failing".into(),
            disabled_by: None,
            disabled_at: now(),
        })
    }

    #[test]
    fn a_user_registers_an_endpoint_for_their_own_events() {
        given::<WebhookEndpoint>([])
            .when(register(WebhookScope::User, owner()))
            .then([registered()]);
    }

    #[test]
    fn only_administrators_register_app_wide_endpoints() {
        given::<WebhookEndpoint>([])
            .when(register(WebhookScope::App, owner()))
            .then_err(DomainError::Forbidden(
                "only an administrator may register an app-wide webhook",
            ));
        let events = WebhookEndpoint::decide(
            &WebhookState::default(),
            &register(WebhookScope::App, admin()),
        )
        .unwrap();
        assert!(
            matches!(&events[0], DomainEvent::WebhookEndpointRegistered(e) if e.scope == WebhookScope::App)
        );
    }

    #[test]
    fn an_endpoint_is_registered_once() {
        given::<WebhookEndpoint>([registered()])
            .when(register(WebhookScope::User, owner()))
            .then_err(DomainError::AlreadyExists("webhook endpoint"));
    }

    #[test]
    fn unknown_event_types_bad_urls_and_long_notes_are_refused() {
        let mut cmd = register(WebhookScope::User, owner());
        if let WebhookCommand::Register { event_types, .. } = &mut cmd {
            *event_types = vec!["session.exploded".into()];
        }
        given::<WebhookEndpoint>([])
            .when(cmd)
            .then_invalid("eventTypes");
        for bad in [
            "",
            "ftp://x.example",
            "https://",
            "https://user:pw@x.example/",
            "https://x.example/a b",
        ] {
            let mut cmd = register(WebhookScope::User, owner());
            if let WebhookCommand::Register { url, .. } = &mut cmd {
                *url = bad.into();
            }
            given::<WebhookEndpoint>([]).when(cmd).then_invalid("url");
        }
        let mut cmd = register(WebhookScope::User, owner());
        if let WebhookCommand::Register { description, .. } = &mut cmd {
            *description = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        }
        given::<WebhookEndpoint>([])
            .when(cmd)
            .then_invalid("description");
    }

    #[test]
    fn only_what_changed_is_recorded() {
        let changes = WebhookChanges {
            url: Some("https://hooks.example.com/altegon".into()),
            event_types: Some(vec!["*".into()]),
            ..WebhookChanges::default()
        };
        given::<WebhookEndpoint>([registered()])
            .when(update(changes, owner()))
            .then([DomainEvent::WebhookEndpointUpdated(
                WebhookEndpointUpdated {
                    endpoint_id: id(),
                    url: None,
                    event_types: Some(vec!["*".into()]),
                    description: None,
                    updated_by: owner().user_id,
                    updated_at: now(),
                },
            )]);
        given::<WebhookEndpoint>([registered()])
            .when(update(WebhookChanges::default(), owner()))
            .then([]);
    }

    #[test]
    fn strangers_may_not_change_or_delete_an_endpoint_but_admins_may() {
        given::<WebhookEndpoint>([registered()])
            .when(WebhookCommand::Delete {
                caller: stranger(),
                now: now(),
            })
            .then_err(DomainError::Forbidden(
                "only the owner or an administrator may change this webhook",
            ));
        given::<WebhookEndpoint>([registered()])
            .when(WebhookCommand::Delete {
                caller: admin(),
                now: now(),
            })
            .then([DomainEvent::WebhookEndpointDeleted(
                WebhookEndpointDeleted {
                    endpoint_id: id(),
                    deleted_by: admin().user_id,
                    deleted_at: now(),
                },
            )]);
    }

    #[test]
    fn a_deleted_endpoint_is_gone() {
        let deleted = DomainEvent::WebhookEndpointDeleted(WebhookEndpointDeleted {
            endpoint_id: id(),
            deleted_by: owner().user_id,
            deleted_at: now(),
        });
        given::<WebhookEndpoint>([registered(), deleted.clone()])
            .when(update(WebhookChanges::default(), owner()))
            .then_err(DomainError::NotFound("webhook endpoint"));
        given::<WebhookEndpoint>([registered(), deleted])
            .when(WebhookCommand::DisableFailing {
                reason: "failing".into(),
                now: now(),
            })
            .then([]);
    }

    #[test]
    fn the_server_disables_a_failing_endpoint_once_and_its_owner_enables_it_again() {
        let disable = || WebhookCommand::DisableFailing {
            reason: "failing".into(),
            now: now(),
        };
        given::<WebhookEndpoint>([registered()])
            .when(disable())
            .then([disabled_by_server()]);
        given::<WebhookEndpoint>([registered(), disabled_by_server()])
            .when(disable())
            .then([]);
        let enable = WebhookChanges {
            enabled: Some(true),
            ..WebhookChanges::default()
        };
        given::<WebhookEndpoint>([registered(), disabled_by_server()])
            .when(update(enable.clone(), owner()))
            .then([DomainEvent::WebhookEndpointEnabled(
                WebhookEndpointEnabled {
                    endpoint_id: id(),
                    enabled_by: owner().user_id,
                    enabled_at: now(),
                },
            )]);
        given::<WebhookEndpoint>([registered()])
            .when(update(enable, owner()))
            .then([]);
    }

    #[test]
    fn endpoints_want_the_types_they_named_or_all_with_a_star() {
        let state = WebhookEndpoint::fold(&[registered()]);
        let settings = state.live().unwrap();
        assert!(settings.wants("session.started"));
        assert!(!settings.wants("recording.uploaded"));
        let all = EndpointSettings {
            event_types: vec!["*".into()],
            ..settings.clone()
        };
        assert!(all.wants("recording.uploaded"));
    }

    #[test]
    fn every_public_type_names_a_domain_event() {
        for (public, domain) in WEBHOOK_EVENT_TYPES {
            assert!(crate::events::current_version(domain).is_some(), "{public}");
            assert_eq!(public_type(domain), Some(*public));
        }
    }
}
