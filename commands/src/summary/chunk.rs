//! Splitting a long transcript into parts that each fit a model's context, with
//! every line stamped `[MM:SS]` from the meeting's start so chapters keep their
//! place when the parts' notes are merged.

use super::TranscriptLine;
use super::notes::timestamp;

/// Rough tokens of a text: four characters a token, as for English.
pub(crate) fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// The transcript as `[MM:SS] Name: text` lines, in parts of at most
/// `budget_tokens` each (a single longer line becomes a part of its own).
pub(crate) fn chunks(lines: &[TranscriptLine], budget_tokens: usize) -> Vec<String> {
    let Some(first) = lines.first() else {
        return vec![];
    };
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in lines {
        let stamped = format!(
            "[{}] {}: {}\n",
            timestamp((line.at - first.at).num_seconds()),
            line.user_name,
            line.message
        );
        if !current.is_empty()
            && estimate_tokens(&current) + estimate_tokens(&stamped) > budget_tokens
        {
            parts.push(std::mem::take(&mut current));
        }
        current.push_str(&stamped);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn long_transcripts_split_under_the_budget_with_absolute_timestamps() {
        let start = Utc::now();
        let lines: Vec<_> = (0..100)
            .map(|i| TranscriptLine {
                user_name: "Ann".into(),
                message: "word ".repeat(20),
                at: start + Duration::seconds(i * 30),
            })
            .collect();
        let parts = chunks(&lines, 300);
        assert!(parts.len() > 5);
        assert!(parts.iter().all(|p| estimate_tokens(p) <= 300));
        assert!(parts[0].starts_with("[00:00] Ann:"));
        assert!(parts.last().is_some_and(|p| p.contains("[49:30]")));
        assert_eq!(parts.concat().lines().count(), 100);
    }
}
