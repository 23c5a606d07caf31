//! The built-in summarizer: extractive, deterministic, no network. It picks the
//! sentences that carry the meeting's most frequent terms, pairs questions with the
//! next speaker's reply, finds actions ("will", "needs to", "by Friday"), decisions
//! ("agreed", "decided"), chapters at pauses and topic shifts, and speakers as
//! participants.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use super::notes::{Action, Chapter, MeetingNotes, Participant, Qna, timestamp};
use super::text::{capitalize, content_words, frequencies, score, sentences, top_words};
use super::{ChatLine, Summarizer, SummaryError, TranscriptLine};

/// A pause longer than this starts a new chapter.
const CHAPTER_GAP_SECS: i64 = 120;
/// Lines compared on each side of a possible topic shift.
const SHIFT_WINDOW: usize = 6;
/// Fewest lines in a chapter made by a topic shift.
const MIN_CHAPTER_LINES: usize = 8;

const ACTION_CUES: &[&str] = &[
    " will ",
    " i'll ",
    " we'll ",
    "needs to",
    "need to",
    "going to",
    "action item",
    "follow up",
    "take care of",
];
const DECISION_CUES: &[&str] = &[
    "agreed",
    "decided",
    "decision",
    "let's go with",
    "we will go with",
    "approved",
    "settled on",
];
const AMBIGUITY_CUES: &[&str] = &[
    "not sure",
    "unclear",
    "to be decided",
    "tbd",
    "no idea",
    "don't know",
];
const DUE_CUES: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "tomorrow",
    "next week",
    "end of the week",
    "end of day",
    "end of the day",
    "end of the month",
    "tonight",
];

/// The extractive summarizer.
#[derive(Debug, Default, Clone)]
pub struct OfflineSummarizer;

struct Sentence<'a> {
    line: usize,
    speaker: &'a str,
    text: String,
}

fn contains_any(text: &str, cues: &[&str]) -> bool {
    let padded = format!(" {} ", text.to_lowercase());
    cues.iter().any(|c| padded.contains(c))
}

fn due_date(text: &str) -> String {
    let lower = text.to_lowercase();
    DUE_CUES
        .iter()
        .filter_map(|cue| lower.find(cue).map(|at| (at, cue)))
        .min()
        .map_or_else(|| "No due date".to_owned(), |(_, cue)| capitalize(cue))
}

/// Whether the sentence sets a deadline ("ready by Wednesday").
fn has_deadline(text: &str) -> bool {
    let lower = text.to_lowercase();
    DUE_CUES
        .iter()
        .any(|cue| lower.contains(&format!("by {cue}")))
}

/// Who an action belongs to: a participant named in it, else the speaker when
/// they speak for themselves ("I will"), else nobody in particular.
fn assignee(text: &str, speaker: &str, names: &[&str]) -> String {
    let lower = text.to_lowercase();
    if let Some(name) = names
        .iter()
        .find(|n| **n != speaker && lower.contains(&n.to_lowercase()))
    {
        return (*name).to_owned();
    }
    if lower.starts_with("i ")
        || lower.starts_with("i'll")
        || lower.contains(" i will")
        || lower.contains(" i'll")
    {
        return speaker.to_owned();
    }
    if lower.starts_with("we ") || lower.starts_with("we'll") {
        return "Unassigned".to_owned();
    }
    speaker.to_owned()
}

fn chapter_starts(lines: &[TranscriptLine]) -> Vec<usize> {
    let mut starts = vec![0];
    for i in 1..lines.len() {
        let last = *starts.last().unwrap_or(&0);
        let gap = (lines[i].at - lines[i - 1].at).num_seconds() > CHAPTER_GAP_SECS;
        let shift = i - last >= MIN_CHAPTER_LINES && i + SHIFT_WINDOW <= lines.len() && {
            let before: BTreeSet<_> = lines[i.saturating_sub(SHIFT_WINDOW)..i]
                .iter()
                .flat_map(|l| content_words(&l.message))
                .collect();
            let after: BTreeSet<_> = lines[i..i + SHIFT_WINDOW]
                .iter()
                .flat_map(|l| content_words(&l.message))
                .collect();
            let shared = before.intersection(&after).count();
            let all = before.union(&after).count().max(1);
            (shared as f64) / (all as f64) < 0.04
        };
        if gap || shift {
            starts.push(i);
        }
    }
    starts
}

fn best_sentences(
    sentences: &[&Sentence<'_>],
    counts: &BTreeMap<String, usize>,
    n: usize,
) -> Vec<String> {
    let mut ranked: Vec<(usize, f64)> = sentences
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.text.ends_with('?') && content_words(&s.text).len() >= 3)
        .map(|(i, s)| (i, score(&s.text, counts)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = ranked.into_iter().take(n).map(|(i, _)| i).collect();
    chosen.sort_unstable();
    chosen
        .into_iter()
        .map(|i| sentences[i].text.clone())
        .collect()
}

fn title_from(words: &[String]) -> String {
    match words {
        [] => "Meeting".to_owned(),
        [a] => capitalize(a),
        [a, b] => format!("{} and {}", capitalize(a), capitalize(b)),
        [a, b, c, ..] => format!("{}, {} and {}", capitalize(a), capitalize(b), capitalize(c)),
    }
}

impl OfflineSummarizer {
    fn notes(&self, lines: &[TranscriptLine]) -> Result<MeetingNotes, SummaryError> {
        let first = lines.first().ok_or(SummaryError::EmptyInput)?;
        let counts = frequencies(lines.iter().map(|l| l.message.as_str()));
        let all: Vec<Sentence<'_>> = lines
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                sentences(&l.message).into_iter().map(move |text| Sentence {
                    line: i,
                    speaker: l.user_name.as_str(),
                    text,
                })
            })
            .collect();

        // Speakers in order of appearance; the one who speaks most leads.
        let mut spoken: BTreeMap<&str, usize> = BTreeMap::new();
        let mut names: Vec<&str> = Vec::new();
        for l in lines {
            *spoken.entry(l.user_name.as_str()).or_insert(0) += 1;
            if !names.contains(&l.user_name.as_str()) {
                names.push(&l.user_name);
            }
        }
        let lead = names
            .iter()
            .max_by(|a, b| spoken[*a].cmp(&spoken[*b]).then(b.cmp(a)))
            .copied();
        let participants = names
            .iter()
            .map(|n| Participant {
                name: (*n).to_owned(),
                role: if Some(*n) == lead {
                    "Host"
                } else {
                    "Participant"
                }
                .to_owned(),
            })
            .collect();

        let mut qna = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            for question in sentences(&l.message)
                .into_iter()
                .filter(|s| s.ends_with('?'))
            {
                let answer = lines[i + 1..]
                    .iter()
                    .take(3)
                    .find(|next| next.user_name != l.user_name)
                    .map_or_else(
                        || "Not specified".to_owned(),
                        |next| next.message.trim().to_owned(),
                    );
                qna.push(Qna { question, answer });
            }
        }

        let actions = all
            .iter()
            .filter(|s| {
                !s.text.ends_with('?')
                    && (contains_any(&s.text, ACTION_CUES) || has_deadline(&s.text))
            })
            .map(|s| Action {
                action: s.text.clone(),
                assignee: assignee(&s.text, s.speaker, &names),
                due_date: due_date(&s.text),
            })
            .collect();
        let decisions = all
            .iter()
            .filter(|s| contains_any(&s.text, DECISION_CUES))
            .map(|s| format!("{} ({})", s.text, s.speaker))
            .collect();
        let ambiguities = all
            .iter()
            .filter(|s| contains_any(&s.text, AMBIGUITY_CUES))
            .map(|s| s.text.clone())
            .collect();

        let starts = chapter_starts(lines);
        let chapters = starts
            .iter()
            .enumerate()
            .map(|(n, &start)| {
                let end = starts.get(n + 1).copied().unwrap_or(lines.len());
                let part = &lines[start..end];
                let part_counts = frequencies(part.iter().map(|l| l.message.as_str()));
                let part_sentences: Vec<_> = all
                    .iter()
                    .filter(|s| s.line >= start && s.line < end)
                    .collect();
                Chapter {
                    timestamp: timestamp((part[0].at - first.at).num_seconds()),
                    title: title_from(&top_words(&part_counts, 3)),
                    bullets: best_sentences(&part_sentences, &part_counts, 2),
                }
            })
            .collect();

        let keywords = top_words(&counts, 10);
        let every: Vec<_> = all.iter().collect();
        let summary_sentences = best_sentences(&every, &counts, 3);
        let summary = if summary_sentences.is_empty() {
            format!("{} spoke briefly.", names.join(", "))
        } else {
            summary_sentences.join(" ")
        };
        MeetingNotes {
            title: title_from(&keywords),
            summary,
            highlights: best_sentences(&every, &counts, 5),
            chapters,
            decisions,
            actions,
            qna,
            participants,
            topics: keywords.iter().take(5).map(|k| capitalize(k)).collect(),
            keywords,
            ambiguities,
        }
        .normalize()
    }
}

#[async_trait]
impl Summarizer for OfflineSummarizer {
    fn name(&self) -> &'static str {
        "offline"
    }

    async fn meeting_notes(
        &self,
        transcript: &[TranscriptLine],
    ) -> Result<MeetingNotes, SummaryError> {
        self.notes(transcript)
    }

    async fn chat_summary(&self, chat: &[ChatLine]) -> Result<String, SummaryError> {
        if chat.is_empty() {
            return Err(SummaryError::EmptyInput);
        }
        let mut names: Vec<&str> = Vec::new();
        for c in chat {
            if !names.contains(&c.user_name.as_str()) {
                names.push(&c.user_name);
            }
        }
        let counts = frequencies(chat.iter().map(|c| c.message.as_str()));
        let all: Vec<Sentence<'_>> = chat
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                sentences(&c.message).into_iter().map(move |text| Sentence {
                    line: i,
                    speaker: c.user_name.as_str(),
                    text,
                })
            })
            .collect();
        let topics = top_words(&counts, 3);
        let mut paragraph = format!(
            "{} messages from {} about {}.",
            chat.len(),
            names.join(", "),
            if topics.is_empty() {
                "various things".to_owned()
            } else {
                topics.join(", ")
            }
        );
        let every: Vec<_> = all.iter().collect();
        for s in best_sentences(&every, &counts, 2) {
            paragraph.push(' ');
            paragraph.push_str(&s);
        }
        Ok(paragraph)
    }
}
