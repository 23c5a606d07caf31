//! Makes new 24-hex ids: seconds since the epoch, five random bytes fixed per
//! process, and a counter, as MongoDB's ObjectId does. Unique across processes
//! without coordination; roughly ordered by creation time.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use altegon_domain::ObjectId;

fn process_random() -> [u8; 5] {
    static RANDOM: OnceLock<[u8; 5]> = OnceLock::new();
    *RANDOM.get_or_init(rand::random)
}

fn counter() -> &'static AtomicU32 {
    static COUNTER: OnceLock<AtomicU32> = OnceLock::new();
    COUNTER.get_or_init(|| AtomicU32::new(rand::random::<u32>() & 0x00ff_ffff))
}

/// A fresh id.
pub fn new_object_id() -> ObjectId {
    let seconds = u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(u32::MAX);
    let count = counter().fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    ObjectId::from_parts(seconds, process_random(), count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_object_id().to_string()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.len() == 24));
    }
}
