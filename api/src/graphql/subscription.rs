//! Subscriptions over WebSocket (graphql-transport-ws), fed from the event log.
//! Each starts "now", or right after the position a client passes as `after`
//! (the `position` of the last event it saw), so a client that reconnects with
//! its last position misses nothing and sees nothing twice.

use std::collections::HashMap;

use altegon_commands::pipeline::decode;
use altegon_commands::store::{EventFilter, EventStream, RecordedEvent, SubscriptionStart};
use altegon_domain::{DomainEvent, MeetingId, RoomId, UserId};
use altegon_projections::models::{meetings, rooms};
use async_graphql::{Context, ID, Json, Subscription as SubscriptionRoot};
use futures::stream::{self, Stream, StreamExt};
use serde_json::Value;

use super::caller::{app, signed_in};
use super::errors::{OrGraphql, id_arg as id};
use super::types::{LogEvent, StorageInfo};
use crate::error::Error;
use crate::state::AppState;

/// Where to start: right after `after`, or after the log's head as the
/// subscription is made (so "now" is the moment the client subscribed).
async fn start(state: &AppState, after: Option<&str>) -> async_graphql::Result<SubscriptionStart> {
    let position = match after {
        None => state.store.head_position().await.gql()?,
        Some(p) => p
            .trim()
            .parse::<u64>()
            .map_err(|_| Error::invalid("after", "must be a log position"))
            .gql()?,
    };
    Ok(SubscriptionStart::After(position))
}

/// Event types whose `message` is stored encrypted.
const ENCRYPTED_MESSAGES: &[&str] = &["TranscriptLineAdded", "ChatMessagePosted"];

/// An event as subscribers receive it; encrypted texts are decrypted.
fn log_event(state: &AppState, event: &RecordedEvent) -> async_graphql::Result<LogEvent> {
    let mut data = event
        .data_json()
        .map_err(|e| Error::Internal(format!("event {}: {e}", event.event_id)))
        .gql()?;
    if ENCRYPTED_MESSAGES.contains(&event.event_type.as_str())
        && let Some(Value::String(message)) = data.get_mut("message")
        && let Ok(clear) = state.cipher.decrypt(message)
    {
        *message = clear;
    }
    Ok(LogEvent {
        position: event.position.to_string(),
        stream_id: event.stream_id.clone(),
        event_type: event.event_type.clone(),
        schema_version: i32::try_from(event.schema_version).unwrap_or(i32::MAX),
        recorded_at: altegon_projections::api_time(event.recorded_at),
        data: Json(data),
    })
}

/// The log's events as subscription items; a failure of the log ends the stream
/// after one error item.
fn deliver(
    state: AppState,
    events: EventStream,
) -> impl Stream<Item = async_graphql::Result<LogEvent>> {
    events
        .scan(false, |failed, next| {
            if *failed {
                return futures::future::ready(None);
            }
            let item = match next {
                Ok(event) => Some(event),
                Err(e) => {
                    *failed = true;
                    tracing::warn!(error = %e, "a subscription's event feed failed");
                    None
                }
            };
            futures::future::ready(Some(item))
        })
        .map(move |item| match item {
            Some(event) => log_event(&state, &event),
            None => Err(Error::Unavailable { retry_after: 1 }).gql(),
        })
}

/// The subscription root.
pub struct Subscription;

#[SubscriptionRoot]
impl Subscription {
    /// Everything that happens to a meeting you host: changes, transcript lines,
    /// chat messages, notes.
    async fn meeting_events(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LogEvent>> + use<>> {
        let user = signed_in(ctx)?;
        let state = app(ctx).clone();
        let meeting_id: MeetingId = id("meetingId", &meeting_id)?;
        let start = start(&state, after.as_deref()).await?;
        let row = meetings::by_id(state.read_pool(), &meeting_id.to_string())
            .await
            .gql()?
            .ok_or(Error::NotFound("meeting".into()))
            .gql()?;
        user.may_host_meeting(&row).gql()?;
        let filter = EventFilter::stream_prefix(format!("meeting-{meeting_id}"))
            .or_prefix(format!("transcript-{meeting_id}"))
            .or_prefix(format!("chat-{meeting_id}"));
        let events = state.store.subscribe_to_all(start, filter);
        Ok(deliver(state, events))
    }

    /// What happens in a room you may enter: recordings, their processing and
    /// stored files, shared files, sessions and participants.
    async fn room_events(
        &self,
        ctx: &Context<'_>,
        room_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LogEvent>> + use<>> {
        let user = signed_in(ctx)?;
        let state = app(ctx).clone();
        let room_id: RoomId = id("roomId", &room_id)?;
        let start = start(&state, after.as_deref()).await?;
        let room = rooms::by_id(state.read_pool(), &room_id.to_string())
            .await
            .gql()?
            .ok_or(Error::NotFound("room".into()))
            .gql()?;
        user.may_enter_room(&room).gql()?;
        let filter = EventFilter::stream_prefix(format!("room-{room_id}"))
            .or_prefix(format!("roomfiles-{room_id}"))
            .or_prefix("recording-")
            .or_prefix("session-")
            .or_prefix("storage-");
        let events = state.store.subscribe_to_all(start, filter);
        let own = [format!("room-{room_id}"), format!("roomfiles-{room_id}")];
        // Rooms of recordings and sessions, looked up once per stream.
        let rooms_of: HashMap<String, Option<RoomId>> = HashMap::new();
        let in_room = stream::unfold(
            (events, rooms_of, state.clone()),
            move |(mut events, mut rooms_of, state)| {
                let own = own.clone();
                async move {
                    loop {
                        let next = events.next().await?;
                        let event = match next {
                            Ok(event) => event,
                            Err(e) => return Some((Err(e), (events, rooms_of, state))),
                        };
                        if own.contains(&event.stream_id) {
                            return Some((Ok(event), (events, rooms_of, state)));
                        }
                        let room = match rooms_of.get(&event.stream_id) {
                            Some(room) => *room,
                            None => {
                                let room = match decode(&event) {
                                    Ok(decoded) => room_of(&state, &decoded).await,
                                    Err(_) => None,
                                };
                                // A recording or session only learns its room when started.
                                if room.is_some() {
                                    rooms_of.insert(event.stream_id.clone(), room);
                                }
                                room
                            }
                        };
                        if room == Some(room_id) {
                            return Some((Ok(event), (events, rooms_of, state)));
                        }
                    }
                }
            },
        );
        Ok(deliver(state, in_room.boxed()))
    }

    /// A user's storage figures (yourself by default): now, then after each change.
    async fn storage_usage(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<StorageInfo>> + use<>> {
        let user = signed_in(ctx)?;
        let state = app(ctx).clone();
        let owner: UserId = match &user_id {
            Some(owner) => id("userId", owner)?,
            None => user.id,
        };
        user.may_act_for(&owner).gql()?;
        let owner = owner.to_string();
        let head = state.store.head_position().await.gql()?;
        let changes = state.store.subscribe_to_all(
            SubscriptionStart::After(head),
            EventFilter::stream_prefix(format!("storage-{owner}")),
        );
        let now = stream::once(futures::future::ready(Ok(head)));
        let later = changes.map(|next| next.map(|e| e.position));
        Ok(now.chain(later).then(move |next| {
            let state = state.clone();
            let owner = owner.clone();
            async move {
                let position = next.map_err(Error::from).gql()?;
                crate::consistency::wait_until_visible(&state, position)
                    .await
                    .gql()?;
                let usage = crate::routes::storage::usage(&state, &owner).await.gql()?;
                Ok(StorageInfo::new(&owner, &usage))
            }
        }))
    }
}

async fn room_of(state: &AppState, event: &DomainEvent) -> Option<RoomId> {
    altegon_realtime::live_events::room_of(&state.bus, event).await
}
