//! One peer connection of the SFU and what it carries.

use std::time::Instant;

use str0m::Rtc;
use str0m::bwe::Bitrate;
use str0m::change::SdpPendingOffer;
use str0m::media::{KeyframeRequestKind, MediaData, MediaKind, Mid, Rid};

use super::layers::{LayerFollower, LayerRate, RateMeter};
use super::{KEYFRAME_REQUEST_INTERVAL, PeerId, StreamId};

/// A track a publisher sends.
#[derive(Debug, Clone)]
pub(super) struct Track {
    pub(super) mid: Mid,
    pub(super) kind: MediaKind,
    /// The whole track's rate (all layers).
    rate: RateMeter,
    /// The publisher's offer announced simulcast layers for it.
    simulcast: bool,
    /// Simulcast layers, as they are first seen, with their own rates.
    layers: Vec<(Rid, RateMeter)>,
    /// Keyframe requests are spaced, per layer, so that a burst of subscribers
    /// (or of losses) does not make the publisher send keyframe after keyframe.
    keyframe_requests: Vec<(Option<Rid>, Instant)>,
}

impl Track {
    pub(super) fn new(mid: Mid, kind: MediaKind, simulcast: bool) -> Self {
        Self {
            mid,
            kind,
            simulcast,
            rate: RateMeter::default(),
            layers: Vec::new(),
            keyframe_requests: Vec::new(),
        }
    }

    /// Whether the publisher sends this track in simulcast layers.
    pub(super) fn has_layers(&self) -> bool {
        self.simulcast || !self.layers.is_empty()
    }

    fn record(&mut self, now: Instant, data: &MediaData) {
        self.rate.record(now, data.data.len());
        let Some(rid) = data.rid else { return };
        match self.layers.iter_mut().find(|(r, _)| *r == rid) {
            Some((_, meter)) => meter.record(now, data.data.len()),
            None => {
                let mut meter = RateMeter::default();
                meter.record(now, data.data.len());
                self.layers.push((rid, meter));
            }
        }
    }

    /// The layers measured so far, lowest rate first; before any is measured,
    /// the first one seen. Empty for a track without simulcast.
    fn layer_rates(&self) -> Vec<LayerRate> {
        let mut rates: Vec<LayerRate> = self
            .layers
            .iter()
            .filter_map(|(rid, meter)| meter.bps().map(|bps| (*rid, bps)))
            .collect();
        if rates.is_empty() {
            return self
                .layers
                .first()
                .map(|(rid, _)| (*rid, 0))
                .into_iter()
                .collect();
        }
        rates.sort_by_key(|(_, bps)| *bps);
        rates
    }
}

/// A track the SFU sends a subscriber: the publisher's `mid_in` as this
/// connection's `mid`.
#[derive(Debug, Clone)]
pub(super) struct OutTrack {
    pub(super) mid: Mid,
    pub(super) mid_in: Mid,
    pub(super) follower: LayerFollower,
}

pub(super) enum Role {
    /// The server receives `stream`.
    Publisher { stream: StreamId },
    /// The server sends `stream`.
    Subscriber {
        stream: StreamId,
        tracks: Vec<OutTrack>,
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
    /// A subscriber's available bandwidth, as its connection estimates it.
    pub(super) estimate: Option<u64>,
    /// The bitrate a subscriber's estimator was last told to look for.
    desired: u64,
    /// Input reached the connection, or something was written to it, since its
    /// output was last taken.
    pub(super) dirty: bool,
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
            estimate: None,
            desired: 0,
            dirty: true,
        }
    }

    /// Whether this connection publishes `stream`.
    pub(super) fn publishes(&self, stream: &str) -> bool {
        matches!(&self.role, Role::Publisher { stream: s } if s == stream)
    }

    /// Whether this connection is a subscription to `stream`.
    pub(super) fn subscribes_to(&self, stream: &str) -> bool {
        matches!(&self.role, Role::Subscriber { stream: s, .. } if s == stream)
    }

    /// The kind of the publisher's track `mid`.
    pub(super) fn kind_of(&self, mid: Mid) -> Option<MediaKind> {
        self.tracks_in.iter().find(|t| t.mid == mid).map(|t| t.kind)
    }

    /// Counts a publisher's frame toward its track's and layer's rates; returns
    /// the track's layers and the rate of the stream's audio.
    pub(super) fn record(&mut self, now: Instant, data: &MediaData) -> (Vec<LayerRate>, u64) {
        let Some(track) = self.tracks_in.iter_mut().find(|t| t.mid == data.mid) else {
            return (Vec::new(), 0);
        };
        track.record(now, data);
        if data.rid.is_none() {
            return (Vec::new(), 0);
        }
        let layers = track.layer_rates();
        let audio = self
            .tracks_in
            .iter()
            .filter(|t| t.kind == MediaKind::Audio)
            .filter_map(|t| t.rate.bps())
            .sum();
        (layers, audio)
    }

    /// Asks this publisher for a keyframe on `mid` (of layer `rid`), at most
    /// once per interval.
    pub(super) fn request_keyframe(
        &mut self,
        mid: Mid,
        rid: Option<Rid>,
        kind: KeyframeRequestKind,
        now: Instant,
    ) {
        let Some(track) = self.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        let last = track.keyframe_requests.iter_mut().find(|(r, _)| *r == rid);
        if track.kind != MediaKind::Video
            || last.as_ref().is_some_and(|(_, at)| {
                now.saturating_duration_since(*at) < KEYFRAME_REQUEST_INTERVAL
            })
        {
            return;
        }
        let Some(mut writer) = self.rtc.writer(mid) else {
            return;
        };
        if writer.request_keyframe(rid, kind).is_ok() {
            self.dirty = true;
            match last {
                Some((_, at)) => *at = now,
                None => track.keyframe_requests.push((rid, now)),
            }
        }
    }

    /// Tells a subscriber's estimator to look for what the best layer needs
    /// (`bps`), with the headroom an upward switch asks for and some to spare;
    /// only when that changed by more than a tenth.
    pub(super) fn want_bitrate(&mut self, bps: u64) {
        let bps = bps.saturating_mul(5) / 4;
        if bps.abs_diff(self.desired) * 10 > self.desired {
            self.desired = bps;
            self.rtc.bwe().set_bitrate(Bitrate::ZERO, Bitrate::bps(bps));
        }
    }
}
