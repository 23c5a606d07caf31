//! The RoomFiles aggregate (stream `roomfiles-{roomId}`): documents shared in a
//! room, stored as `documents/{roomId}/{roomId}_{originalName}`. Names are checked
//! here so a stored path can never leave the room's folder.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::events::{RoomFileUploaded, RoomFilesDeleted};
use crate::meeting::Caller;
use crate::validate::file_name;
use crate::{Aggregate, DomainError, DomainEvent, RoomId, UserId};

/// The RoomFiles aggregate.
pub struct RoomFiles;

/// What is known of a room's files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomFilesState {
    /// Stored names of the files present.
    pub files: BTreeSet<String>,
}

/// The stored name of `original_name` in `room_id`, after checking it is a single
/// safe path segment.
pub fn stored_name(room_id: &RoomId, original_name: &str) -> Result<String, DomainError> {
    let original = file_name("file", original_name)?;
    file_name("file", &format!("{room_id}_{original}"))
}

/// The folder holding a room's files.
pub fn room_folder(room_id: &RoomId) -> String {
    format!("documents/{room_id}")
}

/// Commands for a room's files.
#[derive(Debug, Clone)]
pub enum RoomFilesCommand {
    /// Record a file whose bytes are stored.
    RecordUpload {
        /// The room.
        room_id: RoomId,
        /// The room's owner, from the room's stream; `None` when there is no such room.
        room_owner_id: Option<UserId>,
        /// The uploader's file name.
        original_name: String,
        /// Size in bytes.
        size: u64,
        /// Who asks.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Remove every file.
    DeleteAll {
        /// The room.
        room_id: RoomId,
        /// The room's owner, from the room's stream.
        room_owner_id: Option<UserId>,
        /// Who asks.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
}

impl Aggregate for RoomFiles {
    type State = RoomFilesState;
    type Command = RoomFilesCommand;
    const STREAM_PREFIX: &'static str = "roomfiles";

    fn evolve(mut state: RoomFilesState, event: &DomainEvent) -> RoomFilesState {
        match event {
            DomainEvent::RoomFileUploaded(e) => {
                state.files.insert(e.file_name.clone());
            }
            DomainEvent::RoomFilesDeleted(e) => {
                for name in &e.file_names {
                    state.files.remove(name);
                }
            }
            _ => {}
        }
        state
    }

    fn decide(
        state: &RoomFilesState,
        command: &RoomFilesCommand,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            RoomFilesCommand::RecordUpload {
                room_id,
                room_owner_id,
                original_name,
                size,
                caller,
                now,
            } => {
                check_room_owner(room_owner_id, caller)?;
                let name = stored_name(room_id, original_name)?;
                Ok(vec![DomainEvent::RoomFileUploaded(RoomFileUploaded {
                    room_id: *room_id,
                    path: format!("{}/{name}", room_folder(room_id)),
                    file_name: name,
                    original_name: original_name.clone(),
                    size: *size,
                    uploaded_by: caller.user_id,
                    uploaded_at: *now,
                })])
            }
            RoomFilesCommand::DeleteAll {
                room_id,
                room_owner_id,
                caller,
                now,
            } => {
                check_room_owner(room_owner_id, caller)?;
                if state.files.is_empty() {
                    return Err(DomainError::NotFound("files"));
                }
                Ok(vec![DomainEvent::RoomFilesDeleted(RoomFilesDeleted {
                    room_id: *room_id,
                    file_names: state.files.iter().cloned().collect(),
                    deleted_by: caller.user_id,
                    deleted_at: *now,
                })])
            }
        }
    }
}

fn check_room_owner(owner: &Option<UserId>, caller: &Caller) -> Result<(), DomainError> {
    let owner = owner.ok_or(DomainError::NotFound("room"))?;
    if owner != caller.user_id && !caller.is_admin {
        return Err(DomainError::Forbidden(
            "only the room's owner may change its files",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 8, 28, 9, 32, 48).unwrap()
    }
    fn room() -> RoomId {
        "68b01f530d7bbb02c917906f".parse().unwrap()
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
    fn upload(name: &str, caller: Caller) -> RoomFilesCommand {
        RoomFilesCommand::RecordUpload {
            room_id: room(),
            room_owner_id: Some(owner().user_id),
            original_name: name.into(),
            size: 27685,
            caller,
            now: now(),
        }
    }
    fn uploaded(name: &str) -> DomainEvent {
        DomainEvent::RoomFileUploaded(RoomFileUploaded {
            room_id: room(),
            file_name: format!("68b01f530d7bbb02c917906f_{name}"),
            original_name: name.into(),
            size: 27685,
            path: format!("documents/68b01f530d7bbb02c917906f/68b01f530d7bbb02c917906f_{name}"),
            uploaded_by: owner().user_id,
            uploaded_at: now(),
        })
    }
    fn delete_all(caller: Caller) -> RoomFilesCommand {
        RoomFilesCommand::DeleteAll {
            room_id: room(),
            room_owner_id: Some(owner().user_id),
            caller,
            now: now(),
        }
    }

    #[test]
    fn a_file_is_stored_under_the_room_with_the_room_prefix() {
        given::<RoomFiles>([])
            .when(upload("Document_72835505.docx", owner()))
            .then([uploaded("Document_72835505.docx")]);
    }

    #[test]
    fn names_that_could_leave_the_folder_are_refused() {
        for bad in [
            "../../etc/passwd",
            "/abs",
            "a/b",
            "..",
            "a\0b",
            "a\u{7}b",
            "",
        ] {
            given::<RoomFiles>([])
                .when(upload(bad, owner()))
                .then_invalid("file");
        }
    }

    #[test]
    fn only_the_room_owner_changes_its_files() {
        given::<RoomFiles>([])
            .when(upload("a.txt", stranger()))
            .then_err(DomainError::Forbidden(
                "only the room's owner may change its files",
            ));
        given::<RoomFiles>([uploaded("a.txt")])
            .when(delete_all(stranger()))
            .then_err(DomainError::Forbidden(
                "only the room's owner may change its files",
            ));
    }

    #[test]
    fn deleting_removes_every_file_once() {
        let deleted = DomainEvent::RoomFilesDeleted(RoomFilesDeleted {
            room_id: room(),
            file_names: vec![
                "68b01f530d7bbb02c917906f_a.txt".into(),
                "68b01f530d7bbb02c917906f_b.txt".into(),
            ],
            deleted_by: owner().user_id,
            deleted_at: now(),
        });
        given::<RoomFiles>([uploaded("a.txt"), uploaded("b.txt"), uploaded("a.txt")])
            .when(delete_all(owner()))
            .then([deleted.clone()]);
        given::<RoomFiles>([uploaded("a.txt"), deleted])
            .when(delete_all(owner()))
            .then_err(DomainError::NotFound("files"));
    }

    #[test]
    fn a_room_that_does_not_exist_has_no_files() {
        let mut cmd = upload("a.txt", owner());
        if let RoomFilesCommand::RecordUpload { room_owner_id, .. } = &mut cmd {
            *room_owner_id = None;
        }
        given::<RoomFiles>([])
            .when(cmd)
            .then_err(DomainError::NotFound("room"));
    }
}
