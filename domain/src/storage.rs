//! The StorageAccount aggregate (stream `storage-{userId}`): the recording files
//! a user keeps in blob storage and their limit. Usage is the sum of the files'
//! sizes; [`StorageUsage`] turns it into the figures and warnings clients see.
//! A change that lifts usage past 75%, 90% or the limit also records
//! `StorageWarningLevelReached`, which webhooks announce.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::events::{
    RecordingFileDeleted, RecordingFileUploaded, StorageLimitChanged, StorageWarningLevel,
    StorageWarningLevelReached,
};
use crate::meeting::Caller;
use crate::validate::{file_name, recording_id};
use crate::{Aggregate, DomainError, DomainEvent, RoomId, UserId};

/// The limit every account starts with: 5 GiB.
pub const DEFAULT_STORAGE_LIMIT: u64 = 5 * GIB;
/// Largest limit an administrator may set: 1 PiB.
pub const MAX_STORAGE_LIMIT: u64 = 1024 * 1024 * GIB;
/// One gibibyte, the unit of the `…GB` figures.
pub const GIB: u64 = 1024 * 1024 * 1024;

/// The StorageAccount aggregate.
pub struct StorageAccount;

/// A stored recording file.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    /// The recorded room.
    pub room_id: RoomId,
    /// Size in bytes.
    pub size: u64,
    /// Where the bytes are.
    pub blob_path: String,
}

/// What is known of an account's storage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageState {
    /// Set by an administrator; `None` means the configured default.
    pub limit: Option<u64>,
    /// Files by (recording id, file name).
    pub files: BTreeMap<(String, String), StoredFile>,
    /// Sum of the files' sizes.
    pub usage: u64,
}

/// Commands for a storage account.
#[derive(Debug, Clone)]
pub enum StorageCommand {
    /// Record a file whose bytes are already in the blob store.
    RecordUpload {
        /// Whose storage.
        user_id: UserId,
        /// The recorded room.
        room_id: RoomId,
        /// The client's recording id.
        recording_id: String,
        /// The file's name.
        file_name: String,
        /// Its size in bytes.
        file_size: u64,
        /// Where the bytes are.
        blob_path: String,
        /// The limit when none was set.
        default_limit: u64,
        /// Refuse uploads past the limit instead of flagging them.
        enforce_limit: bool,
        /// Who asks.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Remove a file.
    DeleteFile {
        /// Whose storage.
        user_id: UserId,
        /// The recorded room.
        room_id: RoomId,
        /// The client's recording id.
        recording_id: String,
        /// The file's name.
        file_name: String,
        /// Who asks.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Set the limit (administrators only).
    SetLimit {
        /// Whose storage.
        user_id: UserId,
        /// The new limit in bytes.
        new_limit: u64,
        /// The limit before, when none was set.
        default_limit: u64,
        /// Who asks.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
}

impl Aggregate for StorageAccount {
    type State = StorageState;
    type Command = StorageCommand;
    const STREAM_PREFIX: &'static str = "storage";

    fn evolve(mut state: StorageState, event: &DomainEvent) -> StorageState {
        match event {
            DomainEvent::RecordingFileUploaded(e) => {
                let key = (e.recording_id.clone(), e.file_name.clone());
                let file = StoredFile {
                    room_id: e.room_id,
                    size: e.file_size,
                    blob_path: e.blob_path.clone(),
                };
                if let Some(old) = state.files.insert(key, file) {
                    state.usage = state.usage.saturating_sub(old.size);
                }
                state.usage = state.usage.saturating_add(e.file_size);
            }
            DomainEvent::RecordingFileDeleted(e) => {
                let key = (e.recording_id.clone(), e.file_name.clone());
                if let Some(old) = state.files.remove(&key) {
                    state.usage = state.usage.saturating_sub(old.size);
                }
            }
            DomainEvent::StorageLimitChanged(e) => state.limit = Some(e.storage_limit),
            _ => {}
        }
        state
    }

    fn decide(
        state: &StorageState,
        command: &StorageCommand,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            StorageCommand::RecordUpload {
                user_id,
                room_id,
                recording_id: rec,
                file_name: name,
                file_size,
                blob_path,
                default_limit,
                enforce_limit,
                caller,
                now,
            } => {
                check_owner(user_id, caller)?;
                let rec = recording_id(rec)?;
                let name = file_name("fileName", name)?;
                if state.files.contains_key(&(rec.clone(), name.clone())) {
                    return Err(DomainError::AlreadyExists("a file with this name"));
                }
                let limit = state.limit.unwrap_or(*default_limit);
                if *enforce_limit && state.usage.saturating_add(*file_size) > limit {
                    return Err(DomainError::Forbidden(
                        "the upload would exceed the storage limit",
                    ));
                }
                let mut events = vec![DomainEvent::RecordingFileUploaded(RecordingFileUploaded {
                    user_id: *user_id,
                    room_id: *room_id,
                    recording_id: rec,
                    file_name: name,
                    file_size: *file_size,
                    blob_path: blob_path.clone(),
                    uploaded_by: caller.user_id,
                    uploaded_at: *now,
                })];
                events.extend(warning_reached(
                    *user_id,
                    (state.usage, limit),
                    (state.usage.saturating_add(*file_size), limit),
                    *now,
                ));
                Ok(events)
            }
            StorageCommand::DeleteFile {
                user_id,
                room_id,
                recording_id,
                file_name,
                caller,
                now,
            } => {
                check_owner(user_id, caller)?;
                let key = (recording_id.clone(), file_name.clone());
                let file = state
                    .files
                    .get(&key)
                    .filter(|f| f.room_id == *room_id)
                    .ok_or(DomainError::NotFound("recording file"))?;
                Ok(vec![DomainEvent::RecordingFileDeleted(
                    RecordingFileDeleted {
                        user_id: *user_id,
                        room_id: *room_id,
                        recording_id: recording_id.clone(),
                        file_name: file_name.clone(),
                        file_size: file.size,
                        blob_path: file.blob_path.clone(),
                        deleted_by: caller.user_id,
                        deleted_at: *now,
                    },
                )])
            }
            StorageCommand::SetLimit {
                user_id,
                new_limit,
                default_limit,
                caller,
                now,
            } => {
                if !caller.is_admin {
                    return Err(DomainError::Forbidden(
                        "only an administrator may change storage limits",
                    ));
                }
                if *new_limit == 0 || *new_limit > MAX_STORAGE_LIMIT {
                    return Err(DomainError::invalid(
                        "newLimit",
                        format!("must be between 1 and {MAX_STORAGE_LIMIT} bytes"),
                    ));
                }
                let mut events = vec![DomainEvent::StorageLimitChanged(StorageLimitChanged {
                    user_id: *user_id,
                    storage_limit: *new_limit,
                    changed_by: caller.user_id,
                    changed_at: *now,
                })];
                events.extend(warning_reached(
                    *user_id,
                    (state.usage, state.limit.unwrap_or(*default_limit)),
                    (state.usage, *new_limit),
                    *now,
                ));
                Ok(events)
            }
        }
    }
}

/// The warning to record when usage against the limit goes from `before` to
/// `after` (each `(usage, limit)`) and lands on a higher level than it was on.
fn warning_reached(
    user_id: UserId,
    before: (u64, u64),
    after: (u64, u64),
    now: DateTime<Utc>,
) -> Option<DomainEvent> {
    let level = |(total_usage, storage_limit)| {
        StorageUsage {
            total_usage,
            storage_limit,
            recordings_count: 0,
        }
        .warning_level()
    };
    let reached = level(after)?;
    if level(before) >= Some(reached) {
        return None;
    }
    Some(DomainEvent::StorageWarningLevelReached(
        StorageWarningLevelReached {
            user_id,
            level: reached,
            total_usage: after.0,
            storage_limit: after.1,
            reached_at: now,
        },
    ))
}

fn check_owner(user_id: &UserId, caller: &Caller) -> Result<(), DomainError> {
    if *user_id != caller.user_id && !caller.is_admin {
        return Err(DomainError::Forbidden(
            "only the owner or an administrator may change this storage",
        ));
    }
    Ok(())
}

/// An account's usage against its limit, as the storage routes report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageUsage {
    /// Bytes stored.
    pub total_usage: u64,
    /// Bytes allowed.
    pub storage_limit: u64,
    /// Files stored.
    pub recordings_count: u64,
}

/// A note for the user about their usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageWarning {
    /// `usage` (past 75% or 90%) or `limit_exceeded`.
    pub kind: &'static str,
    /// What to tell the user.
    pub message: String,
}

impl StorageUsage {
    /// Bytes still free (0 when the limit is passed).
    pub fn available(&self) -> u64 {
        self.storage_limit.saturating_sub(self.total_usage)
    }

    /// Bytes over the limit (0 when within it).
    pub fn exceed_amount(&self) -> u64 {
        self.total_usage.saturating_sub(self.storage_limit)
    }

    /// Whether usage is over the limit.
    pub fn is_limit_exceeded(&self) -> bool {
        self.total_usage > self.storage_limit
    }

    /// Usage as a whole percentage of the limit, rounded half up.
    pub fn usage_percentage(&self) -> u64 {
        if self.storage_limit == 0 {
            return 0;
        }
        let scaled = u128::from(self.total_usage) * 200 / u128::from(self.storage_limit);
        u64::try_from(scaled.div_ceil(2)).unwrap_or(u64::MAX)
    }

    /// The highest warning level usage is on, if any.
    pub fn warning_level(&self) -> Option<StorageWarningLevel> {
        let limit = u128::from(self.storage_limit);
        let used = u128::from(self.total_usage);
        if self.is_limit_exceeded() {
            Some(StorageWarningLevel::Exceeded)
        } else if limit > 0 && used * 100 >= limit * 90 {
            Some(StorageWarningLevel::Usage90)
        } else if limit > 0 && used * 100 >= limit * 75 {
            Some(StorageWarningLevel::Usage75)
        } else {
            None
        }
    }

    /// The highest applicable warning: exceeded, then 90%, then 75%.
    pub fn warnings(&self) -> Vec<StorageWarning> {
        let limit = u128::from(self.storage_limit);
        let used = u128::from(self.total_usage);
        if self.is_limit_exceeded() {
            return vec![StorageWarning {
                kind: "limit_exceeded",
                message: format!(
                    "You have exceeded your storage limit by {} GB.",
                    gb(self.exceed_amount())
                ),
            }];
        }
        for threshold in [90u128, 75] {
            if used * 100 >= limit * threshold && limit > 0 {
                return vec![StorageWarning {
                    kind: "usage",
                    message: format!("You have used {threshold}% of your storage limit."),
                }];
            }
        }
        Vec::new()
    }
}

/// Bytes as gibibytes with two decimals, e.g. `"4.90"`.
pub fn gb(bytes: u64) -> String {
    let hundredths = (u128::from(bytes) * 100 + u128::from(GIB) / 2) / u128::from(GIB);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 14, 13, 8, 9).unwrap()
    }
    fn user() -> UserId {
        "68de7a9d8f40ff41c940c7fb".parse().unwrap()
    }
    fn room() -> RoomId {
        "68affe24fabc0702c5d30c29".parse().unwrap()
    }
    fn owner() -> Caller {
        Caller {
            user_id: user(),
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
    fn upload(name: &str, size: u64, enforce: bool) -> StorageCommand {
        StorageCommand::RecordUpload {
            user_id: user(),
            room_id: room(),
            recording_id: "1756364334628_738386".into(),
            file_name: name.into(),
            file_size: size,
            blob_path: format!("recordings/{name}"),
            default_limit: 100,
            enforce_limit: enforce,
            caller: owner(),
            now: now(),
        }
    }
    fn uploaded(name: &str, size: u64) -> DomainEvent {
        DomainEvent::RecordingFileUploaded(RecordingFileUploaded {
            user_id: user(),
            room_id: room(),
            recording_id: "1756364334628_738386".into(),
            file_name: name.into(),
            file_size: size,
            blob_path: format!("recordings/{name}"),
            uploaded_by: user(),
            uploaded_at: now(),
        })
    }
    fn delete(name: &str, caller: Caller) -> StorageCommand {
        StorageCommand::DeleteFile {
            user_id: user(),
            room_id: room(),
            recording_id: "1756364334628_738386".into(),
            file_name: name.into(),
            caller,
            now: now(),
        }
    }

    #[test]
    fn the_owner_records_an_upload() {
        given::<StorageAccount>([])
            .when(upload("a.mp4", 40, false))
            .then([uploaded("a.mp4", 40)]);
    }

    #[test]
    fn usage_is_the_sum_of_the_files() {
        let state = StorageAccount::fold(&[uploaded("a.mp4", 40), uploaded("b.mp4", 2)]);
        assert_eq!(state.usage, 42);
        let deleted = StorageAccount::decide(&state, &delete("a.mp4", owner())).unwrap();
        let state = deleted.iter().fold(state, StorageAccount::evolve);
        assert_eq!(state.usage, 2);
        assert_eq!(state.files.len(), 1);
    }

    #[test]
    fn a_file_name_is_used_once_per_recording() {
        given::<StorageAccount>([uploaded("a.mp4", 40)])
            .when(upload("a.mp4", 1, false))
            .then_err(DomainError::AlreadyExists("a file with this name"));
    }

    #[test]
    fn past_the_limit_an_upload_is_flagged_by_default_and_refused_when_enforced() {
        given::<StorageAccount>([uploaded("a.mp4", 90)])
            .when(upload("b.mp4", 20, false))
            .then([
                uploaded("b.mp4", 20),
                warning(StorageWarningLevel::Exceeded, 110, 100),
            ]);
        given::<StorageAccount>([uploaded("a.mp4", 90)])
            .when(upload("b.mp4", 20, true))
            .then_err(DomainError::Forbidden(
                "the upload would exceed the storage limit",
            ));
    }

    #[test]
    fn unsafe_file_names_are_refused() {
        given::<StorageAccount>([])
            .when(upload("../x.mp4", 1, false))
            .then_invalid("fileName");
    }

    #[test]
    fn only_the_owner_or_an_admin_touches_the_storage() {
        given::<StorageAccount>([uploaded("a.mp4", 40)])
            .when(delete("a.mp4", stranger()))
            .then_err(DomainError::Forbidden(
                "only the owner or an administrator may change this storage",
            ));
        let events = StorageAccount::decide(
            &StorageAccount::fold(&[uploaded("a.mp4", 40)]),
            &delete("a.mp4", admin()),
        )
        .unwrap();
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn deleting_an_unknown_file_is_not_found() {
        given::<StorageAccount>([])
            .when(delete("a.mp4", owner()))
            .then_err(DomainError::NotFound("recording file"));
    }

    #[test]
    fn only_admins_set_limits_and_limits_are_bounded() {
        let set = |caller, new_limit| StorageCommand::SetLimit {
            user_id: user(),
            new_limit,
            default_limit: 100,
            caller,
            now: now(),
        };
        given::<StorageAccount>([])
            .when(set(owner(), 10 * GIB))
            .then_err(DomainError::Forbidden(
                "only an administrator may change storage limits",
            ));
        given::<StorageAccount>([])
            .when(set(admin(), 0))
            .then_invalid("newLimit");
        given::<StorageAccount>([])
            .when(set(admin(), 10 * GIB))
            .then([DomainEvent::StorageLimitChanged(StorageLimitChanged {
                user_id: user(),
                storage_limit: 10 * GIB,
                changed_by: admin().user_id,
                changed_at: now(),
            })]);
    }

    fn warning(level: StorageWarningLevel, total_usage: u64, storage_limit: u64) -> DomainEvent {
        DomainEvent::StorageWarningLevelReached(StorageWarningLevelReached {
            user_id: user(),
            level,
            total_usage,
            storage_limit,
            reached_at: now(),
        })
    }

    #[test]
    fn an_upload_that_lifts_usage_past_a_level_records_the_warning_once() {
        given::<StorageAccount>([uploaded("a.mp4", 70)])
            .when(upload("b.mp4", 10, false))
            .then([
                uploaded("b.mp4", 10),
                warning(StorageWarningLevel::Usage75, 80, 100),
            ]);
        given::<StorageAccount>([uploaded("a.mp4", 80)])
            .when(upload("b.mp4", 5, false))
            .then([uploaded("b.mp4", 5)]);
        given::<StorageAccount>([uploaded("a.mp4", 80)])
            .when(upload("b.mp4", 30, false))
            .then([
                uploaded("b.mp4", 30),
                warning(StorageWarningLevel::Exceeded, 110, 100),
            ]);
    }

    #[test]
    fn a_lower_limit_that_puts_usage_past_a_level_records_the_warning() {
        let set = |new_limit| StorageCommand::SetLimit {
            user_id: user(),
            new_limit,
            default_limit: 100,
            caller: admin(),
            now: now(),
        };
        let changed = |limit| {
            DomainEvent::StorageLimitChanged(StorageLimitChanged {
                user_id: user(),
                storage_limit: limit,
                changed_by: admin().user_id,
                changed_at: now(),
            })
        };
        given::<StorageAccount>([uploaded("a.mp4", 50)])
            .when(set(55))
            .then([changed(55), warning(StorageWarningLevel::Usage90, 50, 55)]);
        given::<StorageAccount>([uploaded("a.mp4", 50)])
            .when(set(1000))
            .then([changed(1000)]);
    }

    #[test]
    fn figures_match_the_reference_example() {
        let usage = StorageUsage {
            total_usage: 104_857_600,
            storage_limit: DEFAULT_STORAGE_LIMIT,
            recordings_count: 2,
        };
        assert_eq!(gb(usage.total_usage), "0.10");
        // The reference's example says 5263852800, which is not limit - usage.
        assert_eq!(usage.available(), 5_263_851_520);
        assert_eq!(gb(usage.available()), "4.90");
        assert_eq!(gb(usage.storage_limit), "5.00");
        assert_eq!(usage.usage_percentage(), 2);
        assert!(!usage.is_limit_exceeded());
        assert_eq!(gb(usage.exceed_amount()), "0.00");
        assert!(usage.warnings().is_empty());
        assert_eq!(gb(10_737_418_240), "10.00");
        let after_delete = StorageUsage {
            total_usage: 52_428_800,
            ..usage
        };
        assert_eq!(after_delete.available(), 5_316_280_320);
    }

    #[test]
    fn warnings_start_at_75_and_90_percent_and_when_exceeded() {
        let at = |total_usage| StorageUsage {
            total_usage,
            storage_limit: 1000,
            recordings_count: 1,
        };
        assert!(at(749).warnings().is_empty());
        assert_eq!(
            at(750).warnings()[0].message,
            "You have used 75% of your storage limit."
        );
        assert_eq!(
            at(900).warnings()[0].message,
            "You have used 90% of your storage limit."
        );
        assert_eq!(at(1000).warnings()[0].kind, "usage");
        let over = at(1001);
        assert!(over.is_limit_exceeded());
        assert_eq!(over.exceed_amount(), 1);
        assert_eq!(over.warnings()[0].kind, "limit_exceeded");
        assert_eq!(over.available(), 0);
    }
}
