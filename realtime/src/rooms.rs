//! What the relay remembers of each room on this node: who is connected (for
//! `view_count` and removals), the whiteboard's current stage (so a late joiner
//! gets it even after its owner left), the room's meeting (where chat is
//! recorded), and the tokens of removed participants (which may not rejoin).
//! With several server processes, it also holds who the others say is connected.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
    /// Accounts connected through other processes, by process, as last heard.
    remote: HashMap<String, (HashSet<UserId>, Instant)>,
}

impl Room {
    /// Holds nothing a later socket would need.
    fn is_idle(&self) -> bool {
        self.members.is_empty()
            && self.whiteboard.is_none()
            && self.removed_tokens.is_empty()
            && self.remote.is_empty()
    }
}

/// A host's removal of a participant from this process's sockets.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removal {
    /// The participant's sockets here.
    pub sockets: Vec<String>,
    /// The tokens they used that were not refused before, refused from now on.
    pub tokens: Vec<String>,
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
        if r.is_idle() {
            rooms.remove(&room);
        }
        left
    }

    /// The sockets of `user` in the room, marked as removed: their tokens may not
    /// join again.
    pub fn remove_user(&self, room: RoomId, user: UserId) -> Removal {
        let mut rooms = self.lock();
        let Some(r) = rooms.get_mut(&room) else {
            return Removal::default();
        };
        let mut removal = Removal::default();
        for (socket, member) in r.members.iter().filter(|(_, m)| m.user_id == user) {
            removal.sockets.push(socket.clone());
            if r.removed_tokens.insert(member.token_id.clone()) {
                removal.tokens.push(member.token_id.clone());
            }
        }
        removal
    }

    /// Refuses tokens another process saw a removed participant use.
    pub fn forbid_tokens(&self, room: RoomId, tokens: &[String]) {
        if tokens.is_empty() {
            return;
        }
        self.lock()
            .entry(room)
            .or_default()
            .removed_tokens
            .extend(tokens.iter().cloned());
    }

    /// Distinct accounts connected through this process.
    pub fn local_users(&self, room: RoomId) -> Vec<UserId> {
        self.lock().get(&room).map_or_else(Vec::new, |r| {
            crate::cluster::distinct(r.members.values().map(|m| m.user_id))
        })
    }

    /// The rooms with sockets on this process.
    pub fn occupied(&self) -> Vec<RoomId> {
        self.lock()
            .iter()
            .filter(|(_, r)| !r.members.is_empty())
            .map(|(id, _)| *id)
            .collect()
    }

    /// What another process says is connected to the room through it.
    pub fn set_remote(&self, room: RoomId, node: &str, users: Vec<UserId>) {
        let mut rooms = self.lock();
        let r = rooms.entry(room).or_default();
        if users.is_empty() {
            r.remote.remove(node);
        } else {
            r.remote.insert(
                node.to_owned(),
                (users.into_iter().collect(), Instant::now()),
            );
        }
        if r.is_idle() {
            rooms.remove(&room);
        }
    }

    /// Distinct accounts connected, through this process or (as last heard
    /// within `expire`) through others.
    pub fn participants(&self, room: RoomId) -> usize {
        self.participants_within(room, crate::cluster::MEMBERS_EXPIRE)
    }

    fn participants_within(&self, room: RoomId, expire: Duration) -> usize {
        let mut rooms = self.lock();
        let Some(r) = rooms.get_mut(&room) else {
            return 0;
        };
        r.remote.retain(|_, (_, heard)| heard.elapsed() < expire);
        let mut users: HashSet<UserId> = r.members.values().map(|m| m.user_id).collect();
        for (remote, _) in r.remote.values() {
            users.extend(remote.iter().copied());
        }
        users.len()
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

    /// The room whose meeting this is, when one announced it here.
    pub fn room_of_meeting(&self, meeting: MeetingId) -> Option<RoomId> {
        self.lock()
            .iter()
            .find(|(_, r)| r.meeting_id == Some(meeting))
            .map(|(id, _)| *id)
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
        assert_eq!(
            rooms.remove_user(room(), user(2)),
            Removal {
                sockets: vec!["b".to_owned()],
                tokens: vec!["t2".to_owned()]
            }
        );
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

    #[test]
    fn participants_count_accounts_on_every_process_until_a_process_falls_silent() {
        let rooms = Rooms::default();
        rooms.join(
            room(),
            "a",
            Member {
                user_id: user(1),
                token_id: "t1".into(),
            },
        );
        rooms.set_remote(room(), "other", vec![user(1), user(2)]);
        assert_eq!(rooms.participants(room()), 2);
        rooms.set_remote(room(), "third", vec![user(3)]);
        assert_eq!(rooms.participants(room()), 3);
        assert_eq!(rooms.participants_within(room(), Duration::ZERO), 1);
        assert_eq!(
            rooms.participants(room()),
            1,
            "silent processes are forgotten"
        );
    }

    #[test]
    fn tokens_removed_elsewhere_are_refused_here() {
        let rooms = Rooms::default();
        rooms.forbid_tokens(room(), &["t9".to_owned()]);
        assert!(rooms.is_removed(room(), "t9"));
    }
}
