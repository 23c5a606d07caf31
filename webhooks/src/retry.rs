//! When a failed delivery is tried again: exponential back-off with jitter, for a
//! bounded window after the first attempt. Past the window the endpoint is
//! disabled (its owner sees why) rather than retried for ever.

use std::time::Duration;

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
    /// How long after its first attempt a delivery is still retried.
    pub window: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(3600),
            window: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `failures + 1`, after `failures` failed attempts:
    /// `base · 2^(failures-1)` capped at `max_delay`, then "equal jitter" (a random
    /// point in its upper half) so that endpoints failing together spread out.
    /// `unit` is a random number in `[0, 1)`.
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let exponent = failures.saturating_sub(1).min(32);
        let full = self
            .base
            .saturating_mul(1u32 << exponent.min(31))
            .min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// Whether a delivery first tried `elapsed` ago may still be retried.
    pub fn within_window(&self, elapsed: Duration) -> bool {
        elapsed < self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_stay_in_their_upper_half() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(policy.delay(1, 0.998), Duration::from_millis(999));
        assert_eq!(policy.delay(2, 0.0), Duration::from_secs(1));
        assert_eq!(policy.delay(4, 0.5), Duration::from_secs(6));
        assert_eq!(policy.delay(30, 0.0), Duration::from_secs(1800));
        assert_eq!(policy.delay(u32::MAX, 0.0), Duration::from_secs(1800));
    }

    #[test]
    fn a_day_of_failures_takes_a_few_dozen_attempts() {
        let policy = RetryPolicy::default();
        let (mut elapsed, mut attempts) = (Duration::ZERO, 1);
        while policy.within_window(elapsed) {
            elapsed += policy.delay(attempts, 0.5);
            attempts += 1;
        }
        assert!((30..50).contains(&attempts), "{attempts}");
    }
}
