//! The recording server's side of a recording: track files written chunk by chunk,
//! then one processing run (scale and concatenate) that may fail and be retried,
//! or be resumed after a restart. The ingest socket holds a room token with the
//! record grant; these rules check that its room is the recording's room.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::events::{
    RecordingChunksWritten, RecordingProcessed, RecordingProcessingFailed,
    RecordingProcessingProgressed, RecordingProcessingStarted, RecordingTrackClosed,
    RecordingTrackOpened,
};
use crate::{DomainError, DomainEvent, RoomId, UserId};

use super::RecordingState;

/// Largest output side accepted, in pixels (4K).
pub const MAX_OUTPUT_SIDE: u32 = 3840;
/// Longest failure reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// What is known of one track's file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackState {
    /// Bytes on disk at the last checkpoint.
    pub bytes_total: u64,
    /// Chunks received at the last checkpoint.
    pub chunks_total: u64,
    /// Size once the file is complete.
    pub closed_size: Option<u64>,
}

/// Where processing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessingStatus {
    /// A run is under way (or was, when the server stopped).
    Running,
    /// The MP4 exists.
    Processed,
    /// The last run failed.
    Failed,
}

/// The latest processing run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessingState {
    /// The run's number.
    pub attempt: u32,
    /// Where it stands.
    pub status: ProcessingStatus,
    /// The run's parameters, as recorded when it started.
    pub started: RecordingProcessingStarted,
    /// The result, once processed.
    pub processed: Option<RecordingProcessed>,
}

/// The ingest part of a recording's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestState {
    /// Tracks by id.
    pub tracks: BTreeMap<String, TrackState>,
    /// Track ids in the order they were opened: the order of concatenation.
    pub track_order: Vec<String>,
    /// The latest processing run.
    pub processing: Option<ProcessingState>,
}

impl IngestState {
    /// Folds one ingest event.
    pub(super) fn evolve(&mut self, event: &DomainEvent) {
        match event {
            DomainEvent::RecordingTrackOpened(e) => {
                if !self.tracks.contains_key(&e.track_id) {
                    self.track_order.push(e.track_id.clone());
                }
                self.tracks.entry(e.track_id.clone()).or_default();
            }
            DomainEvent::RecordingChunksWritten(e) => {
                let track = self.tracks.entry(e.track_id.clone()).or_default();
                track.bytes_total = e.bytes_total;
                track.chunks_total = e.chunks_total;
            }
            DomainEvent::RecordingTrackClosed(e) => {
                let track = self.tracks.entry(e.track_id.clone()).or_default();
                track.bytes_total = e.size;
                track.closed_size = Some(e.size);
            }
            DomainEvent::RecordingProcessingStarted(e) => {
                self.processing = Some(ProcessingState {
                    attempt: e.attempt,
                    status: ProcessingStatus::Running,
                    started: e.clone(),
                    processed: None,
                });
            }
            DomainEvent::RecordingProcessed(e) => {
                if let Some(p) = self.processing.as_mut().filter(|p| p.attempt == e.attempt) {
                    p.status = ProcessingStatus::Processed;
                    p.processed = Some(e.clone());
                }
            }
            DomainEvent::RecordingProcessingFailed(e) => {
                if let Some(p) = self.processing.as_mut().filter(|p| p.attempt == e.attempt) {
                    p.status = ProcessingStatus::Failed;
                }
            }
            _ => {}
        }
    }
}

/// Commands of the recording server.
#[derive(Debug, Clone)]
pub enum IngestCommand {
    /// Open (or reopen, to resume) a track's file.
    OpenTrack {
        /// The track.
        track_id: String,
        /// The room of the ingesting token.
        room_id: RoomId,
        /// The token's holder.
        user_id: UserId,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Checkpoint how much of a track is on disk.
    RecordChunks {
        /// The track.
        track_id: String,
        /// Bytes on disk.
        bytes_total: u64,
        /// Chunks received.
        chunks_total: u64,
        /// The time of the checkpoint.
        now: DateTime<Utc>,
    },
    /// Finish a track's file.
    CloseTrack {
        /// The track.
        track_id: String,
        /// The room of the ingesting token.
        room_id: RoomId,
        /// Final size.
        size: u64,
        /// SHA-256, hex.
        sha256: String,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Start processing the finished tracks.
    StartProcessing {
        /// The room of the ingesting token.
        room_id: RoomId,
        /// Who asks.
        user_id: UserId,
        /// Output width.
        width: u32,
        /// Output height.
        height: u32,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Start an interrupted run again (the server restarted mid-run).
    ResumeProcessing {
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Report a run's progress.
    RecordProgress {
        /// The run.
        attempt: u32,
        /// 0 to 100.
        percent: u8,
        /// The time of the report.
        now: DateTime<Utc>,
    },
    /// Record a run's result.
    FinishProcessing {
        /// The run.
        attempt: u32,
        /// The stored name.
        file_name: String,
        /// Length in milliseconds.
        duration_ms: u64,
        /// Size in bytes.
        size: u64,
        /// SHA-256, hex.
        sha256: String,
        /// The time of the report.
        now: DateTime<Utc>,
    },
    /// Record a run's failure.
    FailProcessing {
        /// The run.
        attempt: u32,
        /// Why.
        reason: String,
        /// The time of the report.
        now: DateTime<Utc>,
    },
}

/// A track id: 1 to 64 letters, digits, `_` or `-`, so it can name a file.
pub fn track_id(value: &str) -> Result<String, DomainError> {
    crate::validate::safe_id("videoId", value)
}

/// The name the processed MP4 gets in its owner's storage.
pub fn processed_file_name(recording_id: &str) -> String {
    format!("{recording_id}.mp4")
}

pub(super) fn decide(
    state: &RecordingState,
    command: &IngestCommand,
) -> Result<Vec<DomainEvent>, DomainError> {
    let started = state
        .started
        .as_ref()
        .ok_or(DomainError::NotFound("recording"))?;
    let recording_id = started.recording_id.clone();
    let ingest = &state.ingest;
    let same_room = |room_id: &RoomId| {
        if *room_id == started.room_id {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "the room token is for another room than the recording's",
            ))
        }
    };
    match command {
        IngestCommand::OpenTrack {
            track_id: id,
            room_id,
            user_id,
            now,
        } => {
            same_room(room_id)?;
            let id = track_id(id)?;
            if ingest.processing.is_some() {
                return Err(DomainError::Conflict(
                    "the recording is already processed or being processed",
                ));
            }
            match ingest.tracks.get(&id) {
                Some(t) if t.closed_size.is_some() => Err(DomainError::Conflict(
                    "the track's file is already finished",
                )),
                // Reopening an open track resumes it: nothing new happened.
                Some(_) => Ok(vec![]),
                None => Ok(vec![DomainEvent::RecordingTrackOpened(
                    RecordingTrackOpened {
                        recording_id,
                        track_id: id,
                        room_id: *room_id,
                        opened_by: *user_id,
                        opened_at: *now,
                    },
                )]),
            }
        }
        IngestCommand::RecordChunks {
            track_id: id,
            bytes_total,
            chunks_total,
            now,
        } => {
            let track = open_track(ingest, id)?;
            if *bytes_total < track.bytes_total || *chunks_total < track.chunks_total {
                return Err(DomainError::Conflict(
                    "a track's byte count never goes down",
                ));
            }
            if *bytes_total == track.bytes_total && *chunks_total == track.chunks_total {
                return Ok(vec![]);
            }
            Ok(vec![DomainEvent::RecordingChunksWritten(
                RecordingChunksWritten {
                    recording_id,
                    track_id: id.clone(),
                    bytes_total: *bytes_total,
                    chunks_total: *chunks_total,
                    written_at: *now,
                },
            )])
        }
        IngestCommand::CloseTrack {
            track_id: id,
            room_id,
            size,
            sha256,
            now,
        } => {
            same_room(room_id)?;
            open_track(ingest, id)?;
            Ok(vec![DomainEvent::RecordingTrackClosed(
                RecordingTrackClosed {
                    recording_id,
                    track_id: id.clone(),
                    size: *size,
                    sha256: sha256.clone(),
                    closed_at: *now,
                },
            )])
        }
        IngestCommand::StartProcessing {
            room_id,
            user_id,
            width,
            height,
            now,
        } => {
            same_room(room_id)?;
            let attempt = match &ingest.processing {
                None => 1,
                Some(p) => match p.status {
                    ProcessingStatus::Running => {
                        return Err(DomainError::Conflict(
                            "the recording is already being processed",
                        ));
                    }
                    ProcessingStatus::Processed => {
                        return Err(DomainError::Conflict("the recording is already processed"));
                    }
                    ProcessingStatus::Failed => p.attempt + 1,
                },
            };
            output_side("width", *width)?;
            output_side("height", *height)?;
            if ingest.track_order.is_empty() {
                return Err(DomainError::Conflict(
                    "the recording has no tracks to process",
                ));
            }
            if ingest.tracks.values().any(|t| t.closed_size.is_none()) {
                return Err(DomainError::Conflict(
                    "every track must be finished with stop-writing first",
                ));
            }
            Ok(vec![DomainEvent::RecordingProcessingStarted(
                RecordingProcessingStarted {
                    recording_id,
                    room_id: started.room_id,
                    room_owner_id: started.room_owner_id,
                    attempt,
                    tracks: ingest.track_order.clone(),
                    width: *width,
                    height: *height,
                    started_by: *user_id,
                    resumed: false,
                    started_at: *now,
                },
            )])
        }
        IngestCommand::ResumeProcessing { now } => {
            let p = running(ingest)?;
            Ok(vec![DomainEvent::RecordingProcessingStarted(
                RecordingProcessingStarted {
                    attempt: p.attempt + 1,
                    resumed: true,
                    started_at: *now,
                    ..p.started.clone()
                },
            )])
        }
        IngestCommand::RecordProgress {
            attempt,
            percent,
            now,
        } => {
            current_run(ingest, *attempt)?;
            Ok(vec![DomainEvent::RecordingProcessingProgressed(
                RecordingProcessingProgressed {
                    recording_id,
                    attempt: *attempt,
                    percent: (*percent).min(100),
                    reported_at: *now,
                },
            )])
        }
        IngestCommand::FinishProcessing {
            attempt,
            file_name,
            duration_ms,
            size,
            sha256,
            now,
        } => {
            current_run(ingest, *attempt)?;
            Ok(vec![DomainEvent::RecordingProcessed(RecordingProcessed {
                recording_id,
                attempt: *attempt,
                file_name: crate::validate::file_name("fileName", file_name)?,
                duration_ms: *duration_ms,
                size: *size,
                sha256: sha256.clone(),
                processed_at: *now,
            })])
        }
        IngestCommand::FailProcessing {
            attempt,
            reason,
            now,
        } => {
            current_run(ingest, *attempt)?;
            let mut reason: String = reason.trim().chars().take(MAX_REASON_CHARS).collect();
            if reason.is_empty() {
                reason = "processing failed without a reason".into();
            }
            Ok(vec![DomainEvent::RecordingProcessingFailed(
                RecordingProcessingFailed {
                    recording_id,
                    attempt: *attempt,
                    reason,
                    failed_at: *now,
                },
            )])
        }
    }
}

fn open_track<'a>(ingest: &'a IngestState, id: &str) -> Result<&'a TrackState, DomainError> {
    let track = ingest
        .tracks
        .get(id)
        .ok_or(DomainError::NotFound("track"))?;
    if track.closed_size.is_some() {
        return Err(DomainError::Conflict(
            "the track's file is already finished",
        ));
    }
    Ok(track)
}

fn running(ingest: &IngestState) -> Result<&ProcessingState, DomainError> {
    match &ingest.processing {
        Some(p) if p.status == ProcessingStatus::Running => Ok(p),
        _ => Err(DomainError::Conflict("no processing run is under way")),
    }
}

fn current_run(ingest: &IngestState, attempt: u32) -> Result<(), DomainError> {
    let p = running(ingest)?;
    if p.attempt != attempt {
        return Err(DomainError::Conflict(
            "the processing run was superseded by a newer one",
        ));
    }
    Ok(())
}

fn output_side(field: &'static str, value: u32) -> Result<(), DomainError> {
    if !(16..=MAX_OUTPUT_SIDE).contains(&value) || !value.is_multiple_of(2) {
        return Err(DomainError::invalid(
            field,
            format!("must be an even number from 16 to {MAX_OUTPUT_SIDE}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregate;
    use crate::aggregate::scenario::given;
    use crate::events::RecordingStarted;
    use crate::recording::{Recording, RecordingCommand};
    use chrono::TimeZone;

    const REC: &str = "1756364334628_738386";

    fn at(secs: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 8, 28, 9, 0, secs).unwrap()
    }
    fn owner() -> UserId {
        "68de7a9d8f40ff41c940c7fb".parse().unwrap()
    }
    fn room() -> RoomId {
        "68affe24fabc0702c5d30c29".parse().unwrap()
    }
    fn other_room() -> RoomId {
        "68affe24fabc0702c5d30c2a".parse().unwrap()
    }
    fn started() -> DomainEvent {
        DomainEvent::RecordingStarted(RecordingStarted {
            recording_id: REC.into(),
            record_id: "670bc2ab12f5b0e6f7a4e9d4".parse().unwrap(),
            room_id: room(),
            room_owner_id: owner(),
            meeting_id: None,
            user_name: "Haseeb Asif".into(),
            stream_id: "755961800257348400".into(),
            video_type: "video".into(),
            status: "pending".into(),
            start_time: at(1),
            started_by: owner(),
            started_at: at(2),
        })
    }
    fn open(track: &str) -> RecordingCommand {
        RecordingCommand::Ingest(IngestCommand::OpenTrack {
            track_id: track.into(),
            room_id: room(),
            user_id: owner(),
            now: at(3),
        })
    }
    fn opened(track: &str) -> DomainEvent {
        DomainEvent::RecordingTrackOpened(RecordingTrackOpened {
            recording_id: REC.into(),
            track_id: track.into(),
            room_id: room(),
            opened_by: owner(),
            opened_at: at(3),
        })
    }
    fn close(track: &str) -> RecordingCommand {
        RecordingCommand::Ingest(IngestCommand::CloseTrack {
            track_id: track.into(),
            room_id: room(),
            size: 100,
            sha256: "ab".into(),
            now: at(9),
        })
    }
    fn closed(track: &str) -> DomainEvent {
        DomainEvent::RecordingTrackClosed(RecordingTrackClosed {
            recording_id: REC.into(),
            track_id: track.into(),
            size: 100,
            sha256: "ab".into(),
            closed_at: at(9),
        })
    }
    fn process() -> RecordingCommand {
        RecordingCommand::Ingest(IngestCommand::StartProcessing {
            room_id: room(),
            user_id: owner(),
            width: 1280,
            height: 720,
            now: at(10),
        })
    }
    fn processing(attempt: u32, resumed: bool) -> DomainEvent {
        DomainEvent::RecordingProcessingStarted(RecordingProcessingStarted {
            recording_id: REC.into(),
            room_id: room(),
            room_owner_id: owner(),
            attempt,
            tracks: vec!["cam".into(), "screen".into()],
            width: 1280,
            height: 720,
            started_by: owner(),
            resumed,
            started_at: at(if resumed { 20 } else { 10 }),
        })
    }
    fn failed(attempt: u32) -> DomainEvent {
        DomainEvent::RecordingProcessingFailed(RecordingProcessingFailed {
            recording_id: REC.into(),
            attempt,
            reason: "Invalid data found when processing input".into(),
            failed_at: at(15),
        })
    }
    fn finish(attempt: u32) -> RecordingCommand {
        RecordingCommand::Ingest(IngestCommand::FinishProcessing {
            attempt,
            file_name: processed_file_name(REC),
            duration_ms: 20_000,
            size: 5000,
            sha256: "cd".into(),
            now: at(30),
        })
    }
    fn two_closed_tracks() -> Vec<DomainEvent> {
        vec![
            started(),
            opened("cam"),
            opened("screen"),
            closed("cam"),
            closed("screen"),
        ]
    }

    #[test]
    fn a_track_opens_once_and_reopening_it_resumes_without_a_new_event() {
        given::<Recording>([started()])
            .when(open("cam"))
            .then([opened("cam")]);
        given::<Recording>([started(), opened("cam")])
            .when(open("cam"))
            .then([]);
    }

    #[test]
    fn tracks_are_only_opened_for_a_started_recording_of_the_tokens_room() {
        given::<Recording>([])
            .when(open("cam"))
            .then_err(DomainError::NotFound("recording"));
        given::<Recording>([started()])
            .when(RecordingCommand::Ingest(IngestCommand::OpenTrack {
                track_id: "cam".into(),
                room_id: other_room(),
                user_id: owner(),
                now: at(3),
            }))
            .then_err(DomainError::Forbidden(
                "the room token is for another room than the recording's",
            ));
    }

    #[test]
    fn a_track_id_must_be_able_to_name_a_file() {
        given::<Recording>([started()])
            .when(open("../x"))
            .then_invalid("videoId");
    }

    #[test]
    fn a_finished_track_takes_no_more_chunks_and_does_not_reopen() {
        let history = [started(), opened("cam"), closed("cam")];
        given::<Recording>(history.clone())
            .when(open("cam"))
            .then_err(DomainError::Conflict(
                "the track's file is already finished",
            ));
        given::<Recording>(history.clone())
            .when(close("cam"))
            .then_err(DomainError::Conflict(
                "the track's file is already finished",
            ));
        given::<Recording>(history)
            .when(RecordingCommand::Ingest(IngestCommand::RecordChunks {
                track_id: "cam".into(),
                bytes_total: 200,
                chunks_total: 2,
                now: at(5),
            }))
            .then_err(DomainError::Conflict(
                "the track's file is already finished",
            ));
    }

    #[test]
    fn chunk_checkpoints_only_move_forward_and_repeat_nothing() {
        let checkpoint = |bytes, chunks| {
            RecordingCommand::Ingest(IngestCommand::RecordChunks {
                track_id: "cam".into(),
                bytes_total: bytes,
                chunks_total: chunks,
                now: at(5),
            })
        };
        let written = DomainEvent::RecordingChunksWritten(RecordingChunksWritten {
            recording_id: REC.into(),
            track_id: "cam".into(),
            bytes_total: 4096,
            chunks_total: 4,
            written_at: at(5),
        });
        given::<Recording>([started(), opened("cam")])
            .when(checkpoint(4096, 4))
            .then([written.clone()]);
        given::<Recording>([started(), opened("cam"), written.clone()])
            .when(checkpoint(4096, 4))
            .then([]);
        given::<Recording>([started(), opened("cam"), written])
            .when(checkpoint(1024, 5))
            .then_err(DomainError::Conflict(
                "a track's byte count never goes down",
            ));
        given::<Recording>([started()])
            .when(checkpoint(1, 1))
            .then_err(DomainError::NotFound("track"));
    }

    #[test]
    fn processing_concatenates_the_finished_tracks_in_the_order_they_were_opened() {
        given::<Recording>(two_closed_tracks())
            .when(process())
            .then([processing(1, false)]);
    }

    #[test]
    fn processing_waits_for_every_track_to_be_finished() {
        given::<Recording>([started(), opened("cam"), opened("screen"), closed("cam")])
            .when(process())
            .then_err(DomainError::Conflict(
                "every track must be finished with stop-writing first",
            ));
        given::<Recording>([started()])
            .when(process())
            .then_err(DomainError::Conflict(
                "the recording has no tracks to process",
            ));
    }

    #[test]
    fn processing_runs_once_at_a_time_and_a_failed_run_may_be_retried() {
        let mut history = two_closed_tracks();
        history.push(processing(1, false));
        given::<Recording>(history.clone())
            .when(process())
            .then_err(DomainError::Conflict(
                "the recording is already being processed",
            ));
        history.push(failed(1));
        let DomainEvent::RecordingProcessingStarted(mut retry) = processing(2, false) else {
            unreachable!()
        };
        retry.started_at = at(10);
        given::<Recording>(history)
            .when(process())
            .then([DomainEvent::RecordingProcessingStarted(retry)]);
    }

    #[test]
    fn an_interrupted_run_resumes_as_the_next_attempt() {
        let mut history = two_closed_tracks();
        history.push(processing(1, false));
        given::<Recording>(history.clone())
            .when(RecordingCommand::Ingest(IngestCommand::ResumeProcessing {
                now: at(20),
            }))
            .then([processing(2, true)]);
        // The superseded run's result no longer counts.
        history.push(processing(2, true));
        given::<Recording>(history.clone())
            .when(finish(1))
            .then_err(DomainError::Conflict(
                "the processing run was superseded by a newer one",
            ));
        given::<Recording>(history)
            .when(finish(2))
            .then([DomainEvent::RecordingProcessed(RecordingProcessed {
                recording_id: REC.into(),
                attempt: 2,
                file_name: "1756364334628_738386.mp4".into(),
                duration_ms: 20_000,
                size: 5000,
                sha256: "cd".into(),
                processed_at: at(30),
            })]);
    }

    #[test]
    fn a_processed_recording_is_not_processed_again_and_takes_no_new_tracks() {
        let mut history = two_closed_tracks();
        history.push(processing(1, false));
        let state = Recording::fold(&history);
        let events = Recording::decide(&state, &finish(1)).unwrap();
        history.extend(events);
        given::<Recording>(history.clone())
            .when(process())
            .then_err(DomainError::Conflict("the recording is already processed"));
        given::<Recording>(history)
            .when(open("late"))
            .then_err(DomainError::Conflict(
                "the recording is already processed or being processed",
            ));
    }

    #[test]
    fn the_output_size_is_even_and_bounded() {
        given::<Recording>(two_closed_tracks())
            .when(RecordingCommand::Ingest(IngestCommand::StartProcessing {
                room_id: room(),
                user_id: owner(),
                width: 1281,
                height: 720,
                now: at(10),
            }))
            .then_invalid("width");
        given::<Recording>(two_closed_tracks())
            .when(RecordingCommand::Ingest(IngestCommand::StartProcessing {
                room_id: room(),
                user_id: owner(),
                width: 1280,
                height: 8000,
                now: at(10),
            }))
            .then_invalid("height");
    }

    #[test]
    fn a_failure_keeps_a_bounded_reason() {
        let mut history = two_closed_tracks();
        history.push(processing(1, false));
        let long = "x".repeat(5000);
        let events = Recording::decide(
            &Recording::fold(&history),
            &RecordingCommand::Ingest(IngestCommand::FailProcessing {
                attempt: 1,
                reason: long,
                now: at(15),
            }),
        )
        .unwrap();
        let [DomainEvent::RecordingProcessingFailed(e)] = events.as_slice() else {
            panic!("expected one failure, got {events:?}")
        };
        assert_eq!(e.reason.chars().count(), MAX_REASON_CHARS);
    }
}
