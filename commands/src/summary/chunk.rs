//! Splitting a long transcript or chat into parts that each fit a token budget.
//! Every line is written `[MM:SS] Name: text`, stamped from the meeting's start,
//! so the chapters of later parts keep their place when the notes are merged. A
//! line longer than the budget is cut at word boundaries into several lines with
//! the same stamp and speaker, so no part ever exceeds the budget.

use super::Line;
use super::notes::format_timestamp;

/// Smallest budget accepted: room for a stamped line and some text.
pub(crate) const MIN_BUDGET_TOKENS: usize = 200;
/// Longest speaker name written (longer ones are cut).
const MAX_NAME_CHARS: usize = 64;

/// Estimated tokens of a text: one per four characters, rounded up. Right for
/// English on OpenAI's tokenizers; scripts such as Urdu or Chinese use more.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// A part of the input, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The stamped lines.
    pub text: String,
    /// Offset in seconds of the part's first line.
    pub first: i64,
    /// Offset in seconds of the part's last line.
    pub last: i64,
}

/// `text` in pieces of at most `cap` characters, cut between words where
/// possible (a word longer than `cap` is cut inside).
fn pieces(text: &str, cap: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > cap {
            if len > 0 {
                out.push(std::mem::take(&mut current));
                len = 0;
            }
            out.push(word.drain(..cap).collect());
        }
        let extra = word.len() + usize::from(len > 0);
        if len + extra > cap {
            out.push(std::mem::take(&mut current));
            len = 0;
        }
        if len > 0 {
            current.push(' ');
            len += 1;
        }
        current.extend(&word);
        len += word.len();
    }
    if len > 0 {
        out.push(current);
    }
    out
}

/// The lines in parts of at most `budget_tokens` estimated tokens each (the
/// budget is raised to [`MIN_BUDGET_TOKENS`] when lower). Empty input, no parts.
pub(crate) fn parts(lines: &[Line<'_>], budget_tokens: usize) -> Vec<Part> {
    let cap_chars = budget_tokens.max(MIN_BUDGET_TOKENS) * 4;
    let mut parts: Vec<Part> = Vec::new();
    let mut current: Option<(Part, usize)> = None;
    for line in lines {
        let name: String = line
            .speaker
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(MAX_NAME_CHARS)
            .collect();
        let prefix = format!("[{}] {name}: ", format_timestamp(line.offset));
        let room = cap_chars - prefix.chars().count() - 1;
        for piece in pieces(line.text, room) {
            let stamped = format!("{prefix}{piece}\n");
            let len = stamped.chars().count();
            match &mut current {
                Some((part, used)) if *used + len <= cap_chars => {
                    part.text.push_str(&stamped);
                    part.last = line.offset;
                    *used += len;
                }
                _ => {
                    if let Some((done, _)) = current.take() {
                        parts.push(done);
                    }
                    current = Some((
                        Part {
                            text: stamped,
                            first: line.offset,
                            last: line.offset,
                        },
                        len,
                    ));
                }
            }
        }
    }
    parts.extend(current.map(|(part, _)| part));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(offset: i64, speaker: &str, text: &'static str) -> Line<'static> {
        Line {
            offset,
            speaker: Box::leak(speaker.to_owned().into_boxed_str()),
            text,
        }
    }

    #[test]
    fn long_transcripts_split_under_the_budget_with_meeting_timestamps() {
        let words: &'static str = Box::leak("word ".repeat(40).into_boxed_str());
        let lines: Vec<_> = (0..300).map(|i| line(i * 30, "Ann", words)).collect();
        let parts = parts(&lines, 1000);
        assert!(parts.len() > 5);
        assert!(parts.iter().all(|p| estimate_tokens(&p.text) <= 1000));
        assert!(parts[0].text.starts_with("[00:00] Ann: word"));
        assert_eq!(parts.last().map(|p| p.last), Some(299 * 30));
        assert!(parts.last().is_some_and(|p| p.text.contains("[149:30]")));
        assert!(parts.windows(2).all(|w| w[0].last <= w[1].first));
        let sent: usize = parts.iter().map(|p| p.text.lines().count()).sum();
        assert_eq!(sent, 300);
    }

    #[test]
    fn a_line_longer_than_the_budget_is_cut_between_words() {
        let long: &'static str =
            Box::leak(format!("{} {}", "sentence ".repeat(300), "x".repeat(2000)).into_boxed_str());
        let parts = parts(&[line(65, "Shah", long)], 200);
        assert!(parts.len() > 3);
        for p in &parts {
            assert!(estimate_tokens(&p.text) <= 200, "{}", p.text.len());
            assert!(p.text.starts_with("[01:05] Shah: "));
        }
    }

    proptest! {
        #[test]
        fn no_part_exceeds_the_budget_and_no_word_is_lost(
            texts in proptest::collection::vec("\\PC{0,900}", 1..40),
            name in "[A-Za-z]{1,100}",
            budget in 0usize..2000,
        ) {
            let texts: Vec<&'static str> =
                texts.into_iter().map(|t| &*Box::leak(t.into_boxed_str())).collect();
            let lines: Vec<_> =
                texts.iter().enumerate().map(|(i, t)| line(i as i64, &name, t)).collect();
            let parts = parts(&lines, budget);
            let cap = budget.max(MIN_BUDGET_TOKENS);
            for p in &parts {
                prop_assert!(estimate_tokens(&p.text) <= cap);
            }
            let sent: usize = parts
                .iter()
                .flat_map(|p| p.text.lines())
                .map(|l| l.split_once(": ").map_or(0, |(_, t)| t.chars().filter(|c| !c.is_whitespace()).count()))
                .sum();
            let given: usize =
                texts.iter().map(|t| t.chars().filter(|c| !c.is_whitespace()).count()).sum();
            prop_assert_eq!(sent, given);
        }
    }
}
