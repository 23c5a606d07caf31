//! What the other server processes say about shared rooms, applied here: their
//! relayed messages reach this process's sockets, and their whiteboard, meeting,
//! removal and member news update this process's rooms. See [`crate::cluster`].

use std::sync::{Arc, Weak};

use tokio::sync::mpsc;

use crate::cluster::{ClusterMessage, MEMBERS_EVERY};
use crate::relay::{Relayed, Shared, disconnect_removed};

/// Applies the other processes' messages until the process stops.
pub(crate) async fn apply_remote(
    shared: Arc<Shared>,
    mut incoming: mpsc::Receiver<(String, ClusterMessage)>,
) {
    while let Some((node, message)) = incoming.recv().await {
        match message {
            ClusterMessage::Relayed {
                room,
                origin,
                event,
                payload,
            } => {
                shared
                    .emit_here(
                        room,
                        Relayed {
                            origin,
                            everyone: true,
                            event,
                            payload,
                        },
                    )
                    .await;
            }
            ClusterMessage::Whiteboard { room, stage } => shared.rooms.set_whiteboard(room, stage),
            ClusterMessage::Meeting { room, meeting } => shared.rooms.set_meeting(room, meeting),
            ClusterMessage::Removed {
                room,
                user,
                tokens,
                payload,
            } => {
                shared.rooms.forbid_tokens(room, &tokens);
                let removal = shared.rooms.remove_user(room, user);
                // Tokens only this process saw are refused everywhere too.
                if !removal.tokens.is_empty() {
                    shared.tell(ClusterMessage::Removed {
                        room,
                        user,
                        tokens: removal.tokens,
                        payload: payload.clone(),
                    });
                }
                disconnect_removed(&shared, removal.sockets, &payload);
            }
            ClusterMessage::Members { room, users } => shared.rooms.set_remote(room, &node, users),
        }
    }
}

/// Repeats who is connected to each room here, so that other processes keep
/// counting them (and forget them when this process is gone).
pub(crate) async fn repeat_members(shared: Weak<Shared>) {
    let mut every = tokio::time::interval(MEMBERS_EVERY);
    loop {
        every.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        for room in shared.rooms.occupied() {
            shared.announce_members(room);
        }
    }
}
