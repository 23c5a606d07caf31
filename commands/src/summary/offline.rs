//! The built-in summarizer: extractive, deterministic, no network.
//!
//! Sentences are scored by how often their content words occur in the meeting
//! (stop words left out, plurals folded); the best make the summary, highlights
//! and chapter bullets. Questions are paired with the next reply by someone else;
//! commitments ("I will", "Shah needs to", "Omar, can you ...?" answered "Sure")
//! become actions with a due date from the sentence; "agreed", "decided", "let's
//! go with" mark decisions; speakers are the participants; chapters start at
//! pauses and topic shifts; key terms (words and two-word phrases) give the
//! topics, keywords and title.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::chapters::chapter_starts;
use super::cues::{
    Subject, accepts, ambiguous, closing, commitment, decision, declared_role, due_date, request,
};
use super::notes::{
    Action, Chapter, MAX_HIGHLIGHTS, MeetingNotes, NO_DUE_DATE, NOT_SPECIFIED, Participant, Qna,
    UNASSIGNED, format_timestamp,
};
use super::text::{Terms, capitalize, sentences, title_case};
use super::{
    ChatLine, Line, Summarizer, SummaryError, TranscriptLine, chat_lines, transcript_lines,
};

/// Longest sentence quoted in the notes, in characters.
const MAX_QUOTE_CHARS: usize = 280;
/// Highlights written (the reference asks for three to six).
const HIGHLIGHTS: usize = 5;
/// Keywords written.
const KEYWORDS: usize = 10;
/// Most topics written.
const TOPICS: usize = 6;
/// Lines after a question searched for its answer.
const ANSWER_WITHIN_LINES: usize = 3;

/// The extractive summarizer, the embedded default.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineSummarizer;

/// A sentence and where it was said.
struct Sentence<'a> {
    line: usize,
    speaker: &'a str,
    text: String,
}

/// At most [`MAX_QUOTE_CHARS`] characters of a sentence.
fn quote(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTE_CHARS) {
        Some((at, _)) => format!("{}...", text[..at].trim_end()),
        None => text.to_owned(),
    }
}

/// "A", "A and B", "A, B and C".
fn listing(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether a sentence is worth quoting as a key point: a statement with at
/// least four content words.
fn quotable(s: &Sentence<'_>, terms: &Terms) -> bool {
    !s.text.ends_with('?') && terms.content_words(&s.text).len() >= 4
}

/// The `n` best quotable sentences by score (times `boost`), in spoken order.
fn best<'a>(
    sentences: impl IntoIterator<Item = &'a Sentence<'a>>,
    terms: &Terms,
    n: usize,
    boost: impl Fn(&Sentence<'_>) -> f64,
) -> Vec<String> {
    let mut ranked: Vec<(usize, f64, &Sentence<'_>)> = sentences
        .into_iter()
        .enumerate()
        .filter(|(_, s)| quotable(s, terms))
        .map(|(i, s)| (i, terms.score(&s.text) * boost(s), s))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<(usize, String)> = Vec::new();
    for (i, _, s) in ranked {
        if chosen.len() == n {
            break;
        }
        let text = quote(&s.text);
        if !chosen.iter().any(|(_, t)| *t == text) {
            chosen.push((i, text));
        }
    }
    chosen.sort_by_key(|(i, _)| *i);
    chosen.into_iter().map(|(_, t)| t).collect()
}

/// The sentences of the lines, in order.
fn split<'a>(lines: &[Line<'a>]) -> Vec<Sentence<'a>> {
    lines
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            sentences(l.text).into_iter().map(move |text| Sentence {
                line: i,
                speaker: l.speaker,
                text,
            })
        })
        .collect()
}

/// Speakers in order of appearance with their roles: a declared host (or else
/// whoever speaks the most words) is "Host", a declared presenter "Presenter",
/// everyone else "Participant".
fn participants(lines: &[Line<'_>]) -> Vec<Participant> {
    let mut order: Vec<&str> = Vec::new();
    let mut spoken: BTreeMap<&str, usize> = BTreeMap::new();
    let mut declared: BTreeMap<&str, &str> = BTreeMap::new();
    for l in lines {
        if !order.contains(&l.speaker) {
            order.push(l.speaker);
        }
        *spoken.entry(l.speaker).or_insert(0) += l.text.split_whitespace().count();
        if let Some(role) = declared_role(l.text) {
            let host_taken = role == "Host" && declared.values().any(|r| *r == "Host");
            if !host_taken && declared.get(l.speaker) != Some(&"Host") {
                declared.insert(l.speaker, role);
            }
        }
    }
    if !declared.values().any(|r| *r == "Host") {
        let most = order
            .iter()
            .copied()
            .filter(|n| !declared.contains_key(n))
            .max_by(|a, b| {
                let words = |n: &&str| spoken.get(n).copied().unwrap_or(0);
                words(a).cmp(&words(b)).then(
                    // Earlier speakers win ties.
                    order
                        .iter()
                        .position(|n| n == b)
                        .cmp(&order.iter().position(|n| n == a)),
                )
            });
        if let Some(host) = most {
            declared.insert(host, "Host");
        }
    }
    order
        .into_iter()
        .map(|name| Participant {
            name: name.to_owned(),
            role: declared
                .get(name)
                .copied()
                .unwrap_or("Participant")
                .to_owned(),
        })
        .collect()
}

/// Questions with the next reply by someone else (within three lines), and the
/// questions nobody answered.
fn questions(lines: &[Line<'_>], all: &[Sentence<'_>]) -> (Vec<Qna>, Vec<String>) {
    let mut qna = Vec::new();
    let mut unanswered = Vec::new();
    for s in all
        .iter()
        .filter(|s| s.text.ends_with('?') && s.text.split_whitespace().count() >= 3)
    {
        let answer = lines
            .iter()
            .skip(s.line + 1)
            .take(ANSWER_WITHIN_LINES)
            .filter(|l| l.speaker != s.speaker)
            .map(|l| sentences(l.text).join(" "))
            .find(|reply| !reply.is_empty() && !reply.ends_with('?'));
        let question = quote(&s.text);
        match answer {
            Some(a) => qna.push(Qna {
                question,
                answer: quote(&a),
            }),
            None => {
                unanswered.push(format!("Unanswered: {question}"));
                qna.push(Qna {
                    question,
                    answer: NOT_SPECIFIED.to_owned(),
                });
            }
        }
    }
    (qna, unanswered)
}

/// Commitments and accepted requests as actions, without repeats.
fn actions(lines: &[Line<'_>], all: &[Sentence<'_>], names: &[&str]) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    // Lines that accept a request: their own "I'll ..." repeats the request.
    let mut accepting: Vec<usize> = Vec::new();
    for s in all {
        let found = if let Some((addressee, task)) = request(&s.text, names) {
            let reply = lines
                .iter()
                .enumerate()
                .skip(s.line + 1)
                .take(ANSWER_WITHIN_LINES)
                .find(|(_, l)| l.speaker == addressee);
            match reply {
                Some((at, l)) if accepts(l.text) => {
                    accepting.push(at);
                    Some((addressee.to_owned(), task))
                }
                _ => None,
            }
        } else if accepting.contains(&s.line) {
            None
        } else {
            commitment(&s.text, names).map(|c| {
                let who = match c.subject {
                    Subject::Speaker => s.speaker.to_owned(),
                    Subject::Named(name) => name,
                    Subject::Addressee => lines[..s.line]
                        .iter()
                        .rev()
                        .find(|l| l.speaker != s.speaker)
                        .map_or(UNASSIGNED.to_owned(), |l| l.speaker.to_owned()),
                    Subject::Nobody => UNASSIGNED.to_owned(),
                };
                (who, c.action)
            })
        };
        if let Some((assignee, task)) = found {
            let action = Action {
                due_date: due_date(&task).unwrap_or_else(|| NO_DUE_DATE.to_owned()),
                action: quote(&task),
                assignee,
            };
            if !out.iter().any(|a| a.action == action.action) {
                out.push(action);
            }
        }
    }
    out
}

/// Decisions, each with who stated it, or who agreed: "(Agreed by Omar)" when
/// the next speaker accepts it.
fn decisions(lines: &[Line<'_>], all: &[Sentence<'_>]) -> Vec<String> {
    all.iter()
        .filter_map(|s| {
            let agreement = decision(&s.text)?;
            let accepted_by = lines
                .get(s.line + 1)
                .filter(|l| l.speaker != s.speaker && accepts(l.text))
                .map(|l| l.speaker);
            let who = match (agreement, accepted_by) {
                (true, _) => format!("Agreed by {}", s.speaker),
                (false, Some(other)) => format!("{}; agreed by {other}", s.speaker),
                (false, None) => s.speaker.to_owned(),
            };
            Some(format!("{} ({who})", quote(&s.text)))
        })
        .collect()
}

/// Chapters from the chapter starts: title from the part's most distinctive
/// terms ("Wrap-up" for a last chapter that closes the meeting), bullets from
/// its best sentences.
fn chapters(lines: &[Line<'_>], all: &[Sentence<'_>], terms: &Terms) -> Vec<Chapter> {
    let starts = chapter_starts(lines, terms);
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(lines.len());
            let local = Terms::new(lines[start..end].iter().map(|l| l.text), terms);
            let distinctive = local.ranked(2, |term, count| {
                let overall = terms.count(term).max(1) as f64;
                if count < 2 && end - start > 3 {
                    0.0
                } else {
                    (count * count) as f64 / overall
                }
            });
            let inside: Vec<&Sentence<'_>> = all
                .iter()
                .filter(|s| (start..end).contains(&s.line))
                .collect();
            let last = n + 1 == starts.len() && n > 0;
            let title = match distinctive.as_slice() {
                _ if last && inside.iter().any(|s| closing(&s.text)) => "Wrap-up".to_owned(),
                [] => "Discussion".to_owned(),
                [one] => title_case(one),
                [a, b, ..] => format!("{} and {}", title_case(a), title_case(b)),
            };
            let mut bullets = best(inside.iter().copied(), &local, 3, |_| 1.0);
            if bullets.is_empty() {
                bullets.extend(inside.first().map(|s| quote(&s.text)));
            }
            Chapter {
                timestamp: format_timestamp(lines[start].offset),
                title,
                bullets,
            }
        })
        .collect()
}

fn meeting_notes(lines: &[Line<'_>]) -> Result<MeetingNotes, SummaryError> {
    let texts = || lines.iter().map(|l| l.text);
    let terms = Terms::new(texts(), &Terms::vocabulary(texts()));
    let all = split(lines);
    let participants = participants(lines);
    let names: Vec<&str> = participants.iter().map(|p| p.name.as_str()).collect();
    let (qna, unanswered) = questions(lines, &all);
    let actions = actions(lines, &all, &names);
    let decisions = decisions(lines, &all);
    let chapters = chapters(lines, &all, &terms);

    // Topics: the frequent phrases first, then the frequent words they lack.
    let keywords = terms.top(KEYWORDS);
    let mut topics: Vec<String> = terms.top_phrases(4);
    for k in &keywords {
        let covered = topics
            .iter()
            .any(|t| t.split(' ').any(|w| k.split(' ').any(|x| x == w)));
        if topics.len() < TOPICS && !covered {
            topics.push(k.clone());
        }
    }
    let topics: Vec<String> = topics.iter().map(|t| capitalize(t)).collect();
    let title = match keywords.as_slice() {
        [] => "Meeting".to_owned(),
        [one] => title_case(one),
        [a, b] => format!("{} and {}", title_case(a), title_case(b)),
        [a, b, c, ..] => format!("{}, {} and {}", title_case(a), title_case(b), title_case(c)),
    };

    let outcome_cue = |s: &Sentence<'_>| {
        if decision(&s.text).is_some() || commitment(&s.text, &names).is_some() {
            1.5
        } else {
            1.0
        }
    };
    let mut highlights = best(&all, &terms, HIGHLIGHTS.min(MAX_HIGHLIGHTS), outcome_cue);
    if highlights.is_empty() {
        highlights.extend(all.iter().take(3).map(|s| quote(&s.text)));
    }
    if highlights.is_empty() {
        highlights.extend(lines.first().map(|l| quote(l.text)));
    }

    let duration = lines.last().map_or(0, |l| l.offset);
    let lead = format!(
        "{} met {}{}.",
        listing(&names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()),
        match duration / 60 {
            0 => "briefly".to_owned(),
            1 => "for 1 minute".to_owned(),
            m => format!("for {m} minutes"),
        },
        match topics.len().min(3) {
            0 => String::new(),
            n => format!(
                " to discuss {}",
                listing(
                    &topics[..n]
                        .iter()
                        .map(|t| t.to_lowercase())
                        .collect::<Vec<_>>()
                )
            ),
        }
    );
    let key_points = best(&all, &terms, 2, outcome_cue);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let outcomes = format!(
        "They recorded {} and {}.",
        plural(decisions.len(), "decision", "decisions"),
        plural(actions.len(), "action item", "action items")
    );
    let summary = std::iter::once(lead)
        .chain(key_points)
        .chain(std::iter::once(outcomes))
        .collect::<Vec<_>>()
        .join(" ");

    let mut ambiguities: Vec<String> = all
        .iter()
        .filter(|s| ambiguous(&s.text))
        .map(|s| quote(&s.text))
        .collect();
    ambiguities.extend(unanswered);

    MeetingNotes {
        title,
        summary,
        highlights,
        chapters,
        decisions,
        actions,
        qna,
        participants,
        topics,
        keywords,
        ambiguities,
    }
    .normalized()
}

fn chat_summary(lines: &[Line<'_>]) -> String {
    let texts = || lines.iter().map(|l| l.text);
    let terms = Terms::new(texts(), &Terms::vocabulary(texts()));
    let all = split(lines);
    let mut names: Vec<String> = Vec::new();
    for l in lines {
        if !names.iter().any(|n| n == l.speaker) {
            names.push(l.speaker.to_owned());
        }
    }
    let topics = terms.top(3);
    let mut paragraph = format!(
        "{} {} {} about {}.",
        listing(&names),
        if names.len() == 1 {
            "wrote"
        } else {
            "exchanged"
        },
        match lines.len() {
            1 => "1 message".to_owned(),
            n => format!("{n} messages"),
        },
        if topics.is_empty() {
            "various things".to_owned()
        } else {
            listing(&topics)
        }
    );
    for s in best(&all, &terms, 2, |_| 1.0) {
        paragraph.push(' ');
        paragraph.push_str(&s);
    }
    if let Some(open) = all.iter().rev().find(|s| ambiguous(&s.text)) {
        paragraph.push_str(&format!(" Still open: {}", quote(&open.text)));
    }
    paragraph
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
        meeting_notes(&transcript_lines(transcript)?)
    }

    async fn chat_summary(&self, chat: &[ChatLine]) -> Result<String, SummaryError> {
        Ok(chat_summary(&chat_lines(chat)?))
    }
}
