//! Simulcast on the forwarding path: the rate each layer of a publisher's track
//! measures, the layer a subscriber's bandwidth estimate allows, and the switch
//! itself, made at the new layer's next keyframe with the media time kept
//! continuous for the subscriber's decoder.

use std::time::{Duration, Instant};

use str0m::media::{MediaData, MediaTime, Rid};

/// How long a rate is measured over.
const RATE_WINDOW: Duration = Duration::from_millis(500);

/// An upward switch needs the new layer to use at most this share (percent) of
/// the estimate, so that a layer just at the limit is not taken and dropped again.
const UPSWITCH_PERCENT: u64 = 85;

/// The bitrate of a flow of frames, measured over windows of [`RATE_WINDOW`].
#[derive(Debug, Clone, Default)]
pub(super) struct RateMeter {
    bytes: u64,
    since: Option<Instant>,
    bps: Option<u64>,
}

impl RateMeter {
    pub(super) fn record(&mut self, now: Instant, bytes: usize) {
        let since = *self.since.get_or_insert(now);
        self.bytes += bytes as u64;
        let elapsed = now.saturating_duration_since(since);
        if elapsed >= RATE_WINDOW {
            let micros = u64::try_from(elapsed.as_micros())
                .unwrap_or(u64::MAX)
                .max(1);
            self.bps = Some(self.bytes.saturating_mul(8_000_000) / micros);
            self.bytes = 0;
            self.since = Some(now);
        }
    }

    /// Bits per second over the last whole window, once there was one.
    pub(super) fn bps(&self) -> Option<u64> {
        self.bps
    }
}

/// A layer as the choice sees it: its rid and its measured bits per second.
pub(super) type LayerRate = (Rid, u64);

/// The layer a subscriber is sent: the best (by measured rate) that fits its
/// `budget`, where going up needs headroom; the lowest when none fits. Without
/// an estimate yet, the current layer stays (the lowest at first). `layers` are
/// in ascending order of rate.
pub(super) fn choose_layer(
    layers: &[LayerRate],
    current: Option<Rid>,
    budget: Option<u64>,
) -> Option<Rid> {
    let (lowest, _) = *layers.first()?;
    let current_rate = current.and_then(|c| layers.iter().find(|(rid, _)| *rid == c));
    let Some(budget) = budget else {
        return Some(current_rate.map_or(lowest, |(rid, _)| *rid));
    };
    let fits = |rate: u64| match current_rate {
        Some((_, now)) if rate > *now => rate.saturating_mul(100) <= budget * UPSWITCH_PERCENT,
        _ => rate <= budget,
    };
    let best = layers.iter().rev().find(|(_, rate)| fits(*rate));
    Some(best.map_or(lowest, |(rid, _)| *rid))
}

/// What goes to one subscriber's track: which layer it is on, and the offset
/// that keeps its media time running on across a switch (each layer of a
/// browser's simulcast counts time from its own start).
#[derive(Debug, Clone, Default)]
pub(super) struct LayerFollower {
    current: Option<Rid>,
    offset: u64,
    last: Option<(u64, Instant)>,
}

/// The decision about one frame for one subscriber's track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pass {
    /// Write the frame with this media time; `None`: skip it.
    pub(super) write: Option<MediaTime>,
    /// Ask the publisher for a keyframe of this layer: the subscriber waits to switch to it.
    pub(super) keyframe_of: Option<Rid>,
}

impl LayerFollower {
    /// The layer being sent.
    pub(super) fn current(&self) -> Option<Rid> {
        self.current
    }

    /// Whether `data` is written, given the `target` layer (`None` when the
    /// track has no layers: every frame is written).
    pub(super) fn pass(&mut self, data: &MediaData, target: Option<Rid>) -> Pass {
        let (Some(target), Some(rid)) = (target, data.rid) else {
            return self.write(data);
        };
        if rid == target && self.current != Some(target) {
            if data.is_keyframe() {
                self.switch_to(target, data);
                return self.write(data);
            }
            return Pass {
                write: None,
                keyframe_of: Some(target),
            };
        }
        if self.current == Some(rid) {
            let mut pass = self.write(data);
            pass.keyframe_of = (rid != target).then_some(target);
            return pass;
        }
        Pass {
            write: None,
            keyframe_of: None,
        }
    }

    fn switch_to(&mut self, layer: Rid, data: &MediaData) {
        self.current = Some(layer);
        if let Some((last, at)) = self.last {
            let elapsed = data.network_time.saturating_duration_since(at);
            let rate = u128::from(data.time.frequency().get());
            let ticks = u64::try_from(elapsed.as_micros() * rate / 1_000_000).unwrap_or(0);
            let expected = last.wrapping_add(ticks.max(1));
            self.offset = expected.wrapping_sub(data.time.numer());
        }
    }

    fn write(&mut self, data: &MediaData) -> Pass {
        let numer = data.time.numer().wrapping_add(self.offset);
        self.last = Some((numer, data.network_time));
        Pass {
            write: Some(MediaTime::new(numer, data.time.frequency())),
            keyframe_of: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers() -> Vec<LayerRate> {
        vec![
            (Rid::from("q"), 150_000),
            (Rid::from("h"), 500_000),
            (Rid::from("f"), 1_500_000),
        ]
    }

    #[test]
    fn the_best_layer_that_fits_the_estimate_is_chosen() {
        assert_eq!(
            choose_layer(&layers(), None, Some(2_000_000)),
            Some("f".into())
        );
        assert_eq!(
            choose_layer(&layers(), None, Some(600_000)),
            Some("h".into())
        );
    }

    #[test]
    fn when_nothing_fits_the_lowest_layer_is_sent() {
        assert_eq!(
            choose_layer(&layers(), Some("f".into()), Some(50_000)),
            Some("q".into())
        );
    }

    #[test]
    fn going_up_needs_headroom_staying_does_not() {
        // 500 kbps is 91% of 550 kbps: not enough headroom to go up to it ...
        assert_eq!(
            choose_layer(&layers(), Some("q".into()), Some(550_000)),
            Some("q".into())
        );
        // ... but enough to stay on it.
        assert_eq!(
            choose_layer(&layers(), Some("h".into()), Some(550_000)),
            Some("h".into())
        );
        assert_eq!(
            choose_layer(&layers(), Some("q".into()), Some(600_000)),
            Some("h".into())
        );
    }

    #[test]
    fn without_an_estimate_the_current_layer_stays_and_the_first_is_the_lowest() {
        assert_eq!(choose_layer(&layers(), None, None), Some("q".into()));
        assert_eq!(
            choose_layer(&layers(), Some("h".into()), None),
            Some("h".into())
        );
        assert_eq!(choose_layer(&[], None, Some(1_000_000)), None);
    }

    #[test]
    fn a_rate_is_bits_per_second_over_the_last_window() {
        let start = Instant::now();
        let mut meter = RateMeter::default();
        for ms in 0..=500 {
            if ms % 10 == 0 {
                meter.record(start + Duration::from_millis(ms), 1_000);
            }
        }
        // 51 frames of 8,000 bits in 0.5 s.
        assert_eq!(meter.bps(), Some(816_000));
    }
}
