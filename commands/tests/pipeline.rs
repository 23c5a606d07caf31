//! The command pipeline against real stores: email uniqueness under concurrency,
//! idempotent retries and keys reused for other requests, conflict retries, and
//! the metadata every event carries.

use std::collections::HashSet;

use altegon_commands::handlers::meetings::{CreateMeeting, create_meeting, update_meeting};
use altegon_commands::handlers::users::{RegisterUser, register_user};
use altegon_commands::metadata::EventMetadata;
use altegon_commands::store::{ReadDirection, StreamFrom};
use altegon_commands::{Actor, CommandBus, CommandContext, CommandError};
use altegon_domain::events::Role;
use altegon_domain::meeting::{Caller, MeetingChanges};
use altegon_domain::{DomainError, UserId};

mod support;
use support::{Backend, wait_for_position};

fn registration(email: &str) -> RegisterUser {
    RegisterUser {
        email: email.into(),
        f_name: "Haseeb".into(),
        l_name: "Asif".into(),
        phone_number: "923085000453".into(),
        country: "Pakistan".into(),
        password: "AB1239001".into(),
        role: Role::User,
    }
}

fn standup(host_id: UserId) -> CreateMeeting {
    CreateMeeting {
        title: "Standup".into(),
        host_id,
        transcript_enabled: true,
    }
}

fn anonymous() -> CommandContext {
    CommandContext::new(Actor::default())
}

fn as_user(id: UserId) -> CommandContext {
    CommandContext::new(Actor {
        id: Some(id.to_string()),
        roles: vec!["user".into()],
    })
}

async fn twenty_registrations_of_one_email_make_one_user(backend: Backend) {
    let store = backend.open().await;
    let bus = CommandBus::new(store.clone());
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let bus = bus.clone();
            // Different spellings of one address.
            let email = if i % 2 == 0 {
                "Same@Example.com"
            } else {
                " same@example.COM"
            };
            tokio::spawn(
                async move { register_user(&bus, &anonymous(), registration(email)).await },
            )
        })
        .collect();
    let mut winners = Vec::new();
    let mut position = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => {
                winners.push(r.user_id);
                position = r.position;
            }
            Err(CommandError::Rejected(DomainError::EmailTaken)) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    wait_for_position(&store, position).await;
    let users: Vec<_> = store
        .read_all(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "UserRegistered")
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].stream_id, format!("user-{}", winners[0]));
    assert!(
        !users[0].data.contains("AB1239001"),
        "the password must not be stored"
    );
    backend.cleanup(store).await;
}

async fn a_request_retried_with_its_idempotency_key_lands_once(backend: Backend) {
    let store = backend.open().await;
    let bus = CommandBus::new(store.clone());
    let host = register_user(&bus, &anonymous(), registration("host@example.com"))
        .await
        .unwrap();
    let ctx = as_user(host.user_id).with_idempotency_key("create-standup-1");
    let request = standup(host.user_id);
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (bus, ctx, request) = (bus.clone(), ctx.clone(), request.clone());
            tokio::spawn(async move { create_meeting(&bus, &ctx, request).await.unwrap() })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut position = 0;
    for t in tasks {
        let (id, p) = t.await.unwrap();
        ids.insert(id);
        position = position.max(p);
    }
    assert_eq!(ids.len(), 1, "every retry names the same meeting");
    wait_for_position(&store, position).await;
    let created = store
        .read_all(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "MeetingCreated")
        .count();
    assert_eq!(created, 1);

    // The same key from another user is a different request.
    let other = register_user(&bus, &anonymous(), registration("other@example.com"))
        .await
        .unwrap();
    let ctx2 = as_user(other.user_id).with_idempotency_key("create-standup-1");
    let (id2, _) = create_meeting(
        &bus,
        &ctx2,
        CreateMeeting {
            host_id: other.user_id,
            ..request
        },
    )
    .await
    .unwrap();
    assert!(!ids.contains(&id2));

    // A retried registration returns the same account instead of "email taken".
    let keyed = anonymous().with_idempotency_key("signup-42");
    let first = register_user(&bus, &keyed, registration("retry@example.com"))
        .await
        .unwrap();
    let again = register_user(&bus, &keyed, registration("retry@example.com"))
        .await
        .unwrap();
    assert_eq!(first.user_id, again.user_id);
    backend.cleanup(store).await;
}

async fn a_key_reused_for_a_different_request_is_refused(backend: Backend) {
    let store = backend.open().await;
    let bus = CommandBus::new(store.clone());
    let host = register_user(&bus, &anonymous(), registration("host@example.com"))
        .await
        .unwrap();
    let request = standup(host.user_id);
    let first = as_user(host.user_id)
        .with_idempotency_key("create-1")
        .with_request_digest("digest-of-standup");
    let (id, _) = create_meeting(&bus, &first, request.clone()).await.unwrap();

    // The same request again: the first outcome.
    let (again, _) = create_meeting(&bus, &first, request.clone()).await.unwrap();
    assert_eq!(again, id);

    // The same key on another request: refused, nothing created.
    let other = as_user(host.user_id)
        .with_idempotency_key("create-1")
        .with_request_digest("digest-of-retro");
    let retro = CreateMeeting {
        title: "Retro".into(),
        ..request.clone()
    };
    match create_meeting(&bus, &other, retro).await {
        Err(CommandError::Rejected(DomainError::Conflict(message))) => {
            assert!(message.contains("different request"), "{message}");
        }
        outcome => panic!("expected a conflict, got {outcome:?}"),
    }

    // Events kept without a digest are retried as before: the key alone decides.
    let undigested = as_user(host.user_id).with_idempotency_key("create-2");
    let (id2, _) = create_meeting(&bus, &undigested, request.clone())
        .await
        .unwrap();
    let (again2, _) = create_meeting(
        &bus,
        &undigested.clone().with_request_digest("digest-of-standup"),
        request,
    )
    .await
    .unwrap();
    assert_eq!(again2, id2);
    backend.cleanup(store).await;
}

async fn concurrent_updates_are_retried_until_all_land(backend: Backend) {
    let store = backend.open().await;
    let bus = CommandBus::new(store.clone());
    let host = register_user(&bus, &anonymous(), registration("busy@example.com"))
        .await
        .unwrap();
    let ctx = as_user(host.user_id);
    let (meeting, _) = create_meeting(
        &bus,
        &ctx,
        CreateMeeting {
            title: "Review".into(),
            host_id: host.user_id,
            transcript_enabled: false,
        },
    )
    .await
    .unwrap();
    let caller = Caller {
        user_id: host.user_id,
        is_admin: false,
    };
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let (bus, ctx) = (bus.clone(), ctx.clone());
            tokio::spawn(async move {
                let changes = MeetingChanges {
                    recording_id: Some(format!("rec_{i}")),
                    ..Default::default()
                };
                update_meeting(&bus, &ctx, meeting, caller, changes)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let state = bus
        .state::<altegon_domain::meeting::Meeting>(meeting)
        .await
        .unwrap();
    let mut recordings = state.recording_ids.clone();
    recordings.sort();
    assert_eq!(
        recordings,
        (0..6).map(|i| format!("rec_{i}")).collect::<Vec<_>>()
    );

    // Someone who does not host it is refused, and nothing is written.
    let stranger = register_user(&bus, &anonymous(), registration("stranger@example.com"))
        .await
        .unwrap();
    let refused = update_meeting(
        &bus,
        &as_user(stranger.user_id),
        meeting,
        Caller {
            user_id: stranger.user_id,
            is_admin: false,
        },
        MeetingChanges {
            title: Some("Mine".into()),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(
        refused,
        Err(CommandError::Rejected(DomainError::Forbidden(_)))
    ));
    backend.cleanup(store).await;
}

async fn every_event_carries_its_metadata(backend: Backend) {
    let store = backend.open().await;
    let bus = CommandBus::new(store.clone());
    let mut ctx = anonymous();
    ctx.client_ip = Some("203.0.113.7".into());
    ctx.correlation_id = "corr-1".into();
    ctx.causation_id = Some("cause-1".into());
    let user = register_user(&bus, &ctx, registration("meta@example.com"))
        .await
        .unwrap();
    let events = store
        .read_stream(
            &format!("user-{}", user.user_id),
            ReadDirection::Forwards,
            StreamFrom::Edge,
            10,
        )
        .await
        .unwrap();
    let e = &events[0];
    assert_eq!(e.event_id.get_version_num(), 7, "event ids are UUIDv7");
    let meta: EventMetadata = serde_json::from_str(&e.metadata).unwrap();
    assert_eq!(meta.request_id, ctx.request_id);
    assert_eq!(meta.correlation_id, "corr-1");
    assert_eq!(meta.causation_id.as_deref(), Some("cause-1"));
    assert_eq!(meta.client_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(e.prev_hash, altegon_commands::store::chain::GENESIS_HASH);
    assert_eq!(e.position, user.position);
    backend.cleanup(store).await;
}

macro_rules! on_backends {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() { super::$name(super::Backend::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() { super::$name(super::Backend::postgres().await).await })*
        }
    };
}

on_backends!(
    twenty_registrations_of_one_email_make_one_user,
    a_request_retried_with_its_idempotency_key_lands_once,
    a_key_reused_for_a_different_request_is_refused,
    concurrent_updates_are_retried_until_all_land,
    every_event_carries_its_metadata
);
