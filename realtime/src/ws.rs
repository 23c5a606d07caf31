//! `GET /ws?token=…`: the room messages as plain WebSocket JSON frames
//! `{"event": name, "data": payload}`, for clients without Socket.IO. The same
//! checks and effects as the Socket.IO relay; the two kinds of client hear each
//! other.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::catalog;
use crate::presence::Arrival;
use crate::relay::{
    Bucket, Relayed, RoomAccess, Shared, check, disconnect_removed, record, room_name,
};
use crate::rooms::Member;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WsQuery {
    token: Option<String>,
    name: Option<String>,
    session_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Frame {
    event: String,
    #[serde(default)]
    data: Value,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/ws", get(upgrade)).with_state(shared)
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
    request: axum::extract::Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let max = (shared.settings.max_message_bytes * 4).max(1024 * 1024);
    ws.max_message_size(max)
        .on_upgrade(move |socket| serve(socket, shared, query, parts))
}

fn frame(event: &str, data: &Value) -> Message {
    Message::Text(json!({ "event": event, "data": data }).to_string().into())
}

async fn serve(mut socket: WebSocket, shared: Arc<Shared>, query: WsQuery, parts: Parts) {
    let access = match query.token.as_deref().map(|t| shared.auth.authorize(t)) {
        Some(Ok(access)) if !shared.rooms.is_removed(access.room_id, &access.token_id) => access,
        refused => {
            shared.audit_refusal(
                None,
                "SOCKET connect".into(),
                parts.uri.path().to_owned(),
                401,
                &parts,
            );
            let error = match refused {
                None => "a room token is required (?token=)".to_owned(),
                Some(Err(e)) => format!("room token refused: {e}"),
                Some(Ok(_)) => {
                    "you were removed from this room; ask the host for a new token".into()
                }
            };
            let _ = socket
                .send(frame("error", &json!({ "status": 401, "error": error })))
                .await;
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    };
    let id = format!("ws-{}", uuid_like());
    run(socket, &shared, &access, &id, query, &parts).await;
    shared.rooms.leave(access.room_id, &id);
    shared.announce_members(access.room_id);
    shared
        .ws_kicks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    shared.presence.depart(access.room_id, access.user_id);
    broadcast(
        &shared,
        &access,
        &id,
        true,
        "view_count",
        json!({ "type": "view_count", "count": shared.rooms.participants(access.room_id) }),
    )
    .await;
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sends to the room's Socket.IO sockets and its other WebSocket clients.
async fn broadcast(
    shared: &Shared,
    access: &RoomAccess,
    origin: &str,
    everyone: bool,
    event: &str,
    payload: Value,
) {
    if let Some(sockets) = shared.room_sockets() {
        let _ = sockets
            .to(room_name(access.room_id))
            .emit(event, &payload)
            .await;
    }
    shared.publish(
        access.room_id,
        Relayed {
            origin: origin.to_owned(),
            everyone,
            event: event.to_owned(),
            payload,
        },
    );
}

async fn run(
    mut socket: WebSocket,
    shared: &Arc<Shared>,
    access: &RoomAccess,
    id: &str,
    query: WsQuery,
    parts: &Parts,
) {
    let mut feed = shared.feed(access.room_id).subscribe();
    let (kick, mut kicked) = tokio::sync::oneshot::channel();
    shared
        .ws_kicks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.to_owned(), kick);
    shared.rooms.join(
        access.room_id,
        id,
        Member {
            user_id: access.user_id,
            token_id: access.token_id.clone(),
        },
    );
    shared.announce_members(access.room_id);
    let session = shared
        .presence
        .arrive(Arrival {
            user_id: access.user_id,
            room_id: access.room_id,
            name: query
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| access.user_id.to_string()),
            location: shared.locate.locate(parts, None),
            session_type: query.session_type.unwrap_or_else(|| "meeting".into()),
        })
        .await
        .ok()
        .map(|s| s.to_string());
    let connected = json!({
        "type": "room_connected",
        "id": access.user_id.to_string(),
        "socketId": id,
        "roomId": access.room_id.to_string(),
        "sessionId": session,
    });
    if socket
        .send(frame("room_connected", &connected))
        .await
        .is_err()
    {
        return;
    }
    if let Some(stage) = shared.rooms.whiteboard(access.room_id) {
        let _ = socket.send(frame("white-board-stage", &stage)).await;
    }
    broadcast(shared, access, id, false, "room_connected", connected).await;
    let views = json!({ "type": "view_count", "count": shared.rooms.participants(access.room_id) });
    let _ = socket.send(frame("view_count", &views)).await;
    broadcast(shared, access, id, false, "view_count", views).await;

    let bucket = Mutex::new(Bucket::new(shared.settings.messages_per_second));
    loop {
        tokio::select! {
            _ = &mut kicked => {
                let _ = socket.send(frame("remove-participant", &json!({ "type": "remove-participant", "id": access.user_id.to_string() }))).await;
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            relayed = feed.recv() => match relayed {
                Ok(r) if r.everyone || r.origin != id => {
                    if socket.send(frame(&r.event, &r.payload)).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "a WebSocket client fell behind its room");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                let reply = on_frame(shared, access, id, &bucket, text.as_str(), parts).await;
                if let Some(error) = reply
                    && socket.send(frame("error", &error)).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// One frame from the client; the answer is an error to send back, if any.
async fn on_frame(
    shared: &Arc<Shared>,
    access: &RoomAccess,
    id: &str,
    bucket: &Mutex<Bucket>,
    text: &str,
    parts: &Parts,
) -> Option<Value> {
    let frame: Frame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            return Some(
                json!({ "status": 400, "error": format!("a frame is {{\"event\": name, \"data\": payload}}: {e}") }),
            );
        }
    };
    let Some(message) = catalog::find(&frame.event) else {
        return Some(
            json!({ "type": frame.event, "status": 400, "error": "unknown message type" }),
        );
    };
    match check(shared, access, bucket, message, &frame.data) {
        Err(refusal) => {
            shared.audit_denied_message(access, message, &refusal, parts);
            Some(json!({ "type": message.name, "status": refusal.status, "error": refusal.error }))
        }
        Ok((keep, removed)) => {
            disconnect_removed(shared, removed, &frame.data);
            if let Some(keep) = keep {
                record(shared, keep).await;
            }
            broadcast(shared, access, id, false, message.name, frame.data).await;
            None
        }
    }
}
