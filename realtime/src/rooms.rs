//! What the relay remembers of each room on this node: who is connected (for
//! `view_count` and removals), the whiteboard's current stage (so a late joiner
//! gets it even after its owner left), the room's meeting (where chat is
//! recorded), and the tokens of removed participants (which may not rejoin).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use altegon_domain::{MeetingId, RoomId, UserId};
use serde_json::Value;

/// One connected socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The account.
    pub user_id: UserId,
    /// The room token's id.
    pub token_id: String,
}

#[derive(Debug, Default)]
struct Room {
    members: HashMap<String, Member>,
    whiteboard: Option<Value>,
    meeting_id: Option<MeetingId>,
    removed_tokens: HashSet<String>,
}

/// Every room of this node.
#[derive(Debug, Default)]
pub struct Rooms {
    rooms: Mutex<HashMap<RoomId, Room>>,
}

impl Rooms {
    fn lock(&self) -> MutexGuard<'_, HashMap<RoomId, Room>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a token was used by a participant the host removed.
    pub fn is_removed(&self, room: RoomId, token_id: &str) -> bool {
        self.lock()
            .get(&room)
            .is_some_and(|r| r.removed_tokens.contains(token_id))
    }

    /// Adds a socket; answers the number of sockets in the room.
    pub fn join(&self, room: RoomId, socket: &str, member: Member) -> usize {
        let mut rooms = self.lock();
        let r = rooms.entry(room).or_default();
        r.members.insert(socket.to_owned(), member);
        r.members.len()
    }

    /// Removes a socket; answers the number left.
    pub fn leave(&self, room: RoomId, socket: &str) -> usize {
        let mut rooms = self.lock();
        let Some(r) = rooms.get_mut(&room) else {
            return 0;
        };
        r.members.remove(socket);
        let left = r.members.len();
        // Forget an empty room unless it holds what late joiners need.
        if left == 0 && r.whiteboard.is_none() && r.removed_tokens.is_empty() {
            rooms.remove(&room);
        }
        left
    }

    /// The sockets of `user` in the room, marked as removed: their tokens may not
    /// join again.
    pub fn remove_user(&self, room: RoomId, user: UserId) -> Vec<String> {
        let mut rooms = self.lock();
        let Some(r) = rooms.get_mut(&room) else {
            return vec![];
        };
        let sockets: Vec<(String, String)> = r
            .members
            .iter()
            .filter(|(_, m)| m.user_id == user)
            .map(|(s, m)| (s.clone(), m.token_id.clone()))
            .collect();
        for (_, token) in &sockets {
            r.removed_tokens.insert(token.clone());
        }
        sockets.into_iter().map(|(s, _)| s).collect()
    }

    /// Distinct accounts connected.
    pub fn participants(&self, room: RoomId) -> usize {
        self.lock().get(&room).map_or(0, |r| {
            r.members
                .values()
                .map(|m| m.user_id)
                .collect::<HashSet<_>>()
                .len()
        })
    }

    /// Keeps (or with `None` clears) the whiteboard's stage.
    pub fn set_whiteboard(&self, room: RoomId, stage: Option<Value>) {
        self.lock().entry(room).or_default().whiteboard = stage;
    }

    /// The whiteboard's stage, if one was shared.
    pub fn whiteboard(&self, room: RoomId) -> Option<Value> {
        self.lock().get(&room).and_then(|r| r.whiteboard.clone())
    }

    /// Sets the room's meeting.
    pub fn set_meeting(&self, room: RoomId, meeting: MeetingId) {
        self.lock().entry(room).or_default().meeting_id = Some(meeting);
    }

    /// The room's meeting, once announced.
    pub fn meeting(&self, room: RoomId) -> Option<MeetingId> {
        self.lock().get(&room).and_then(|r| r.meeting_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> RoomId {
        "68affe24fabc0702c5d30c29".parse().unwrap()
    }
    fn user(n: u8) -> UserId {
        format!("68de7a9d8f40ff41c940c7f{n}").parse().unwrap()
    }

    #[test]
    fn a_removed_participant_s_token_stays_refused_after_they_leave() {
        let rooms = Rooms::default();
        rooms.join(
            room(),
            "a",
            Member {
                user_id: user(1),
                token_id: "t1".into(),
            },
        );
        rooms.join(
            room(),
            "b",
            Member {
                user_id: user(2),
                token_id: "t2".into(),
            },
        );
        assert_eq!(rooms.participants(room()), 2);
        assert_eq!(rooms.remove_user(room(), user(2)), vec!["b".to_owned()]);
        assert_eq!(rooms.leave(room(), "b"), 1);
        assert!(rooms.is_removed(room(), "t2"));
        assert!(!rooms.is_removed(room(), "t1"));
    }

    #[test]
    fn the_whiteboard_outlives_its_owner() {
        let rooms = Rooms::default();
        rooms.join(
            room(),
            "a",
            Member {
                user_id: user(1),
                token_id: "t1".into(),
            },
        );
        rooms.set_whiteboard(room(), Some(serde_json::json!({"stage": 1})));
        assert_eq!(rooms.leave(room(), "a"), 0);
        assert_eq!(
            rooms.whiteboard(room()),
            Some(serde_json::json!({"stage": 1}))
        );
        rooms.set_whiteboard(room(), None);
        assert_eq!(rooms.whiteboard(room()), None);
    }
}
