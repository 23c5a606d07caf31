//! One peer connection of the SFU and what it carries.

use std::time::Instant;

use str0m::Rtc;
use str0m::change::SdpPendingOffer;
use str0m::media::{KeyframeRequestKind, MediaKind, Mid};

use super::{KEYFRAME_REQUEST_INTERVAL, PeerId, StreamId};

/// A track a publisher sends.
#[derive(Debug, Clone)]
pub(super) struct Track {
    pub(super) mid: Mid,
    pub(super) kind: MediaKind,
    /// Keyframe requests are spaced so that a burst of subscribers (or of losses)
    /// does not make the publisher send keyframe after keyframe.
    pub(super) last_keyframe_request: Option<Instant>,
}

pub(super) enum Role {
    /// The server receives `stream`.
    Publisher { stream: StreamId },
    /// The server sends `stream`: (this connection's mid, the publisher's mid).
    Subscriber {
        stream: StreamId,
        tracks: Vec<(Mid, Mid)>,
    },
}

pub(super) struct Peer {
    pub(super) id: PeerId,
    pub(super) rtc: Rtc,
    pub(super) role: Role,
    pub(super) tracks_in: Vec<Track>,
    /// The server's offer, until the subscriber answers.
    pub(super) pending: Option<SdpPendingOffer>,
    pub(super) timeout: Option<Instant>,
    /// A publisher's audio is not forwarded (muted by the host).
    pub(super) audio_muted: bool,
}

impl Peer {
    pub(super) fn new(id: PeerId, rtc: Rtc, role: Role) -> Self {
        Self {
            id,
            rtc,
            role,
            tracks_in: Vec::new(),
            pending: None,
            timeout: None,
            audio_muted: false,
        }
    }

    /// The kind of the publisher's track `mid`.
    pub(super) fn kind_of(&self, mid: Mid) -> Option<MediaKind> {
        self.tracks_in.iter().find(|t| t.mid == mid).map(|t| t.kind)
    }

    /// Asks this publisher for a keyframe on `mid`, at most once per interval.
    pub(super) fn request_keyframe(&mut self, mid: Mid, kind: KeyframeRequestKind, now: Instant) {
        let Some(track) = self.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        if track.kind != MediaKind::Video
            || track
                .last_keyframe_request
                .is_some_and(|at| now.saturating_duration_since(at) < KEYFRAME_REQUEST_INTERVAL)
        {
            return;
        }
        let Some(mut writer) = self.rtc.writer(mid) else {
            return;
        };
        if writer.request_keyframe(None, kind).is_ok() {
            track.last_keyframe_request = Some(now);
        }
    }
}
