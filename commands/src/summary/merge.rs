//! One set of notes from the notes of consecutive parts of a long meeting,
//! deterministically (no further request to the service).

use super::SummaryError;
use super::notes::{MAX_HIGHLIGHTS, MeetingNotes, NOT_SPECIFIED, parse_timestamp};

/// Most topics kept after merging.
const MAX_TOPICS: usize = 12;
/// Most keywords kept after merging.
const MAX_KEYWORDS: usize = 20;

/// Pushes the items of `more` not yet in `into` (ignoring case).
fn union(into: &mut Vec<String>, more: Vec<String>) {
    for item in more {
        if !into.iter().any(|i| i.eq_ignore_ascii_case(&item)) {
            into.push(item);
        }
    }
}

/// Merges the notes of consecutive parts, in order:
///
/// - the title is the first part's;
/// - the summaries are joined into one paragraph, in order;
/// - highlights are taken in turn from each part (first of each, then second of
///   each, ...), without repeats, at most [`MAX_HIGHLIGHTS`];
/// - chapters are concatenated with their timestamps (already relative to the
///   meeting's start), kept in time order; a chapter that continues the previous
///   one under the same title (a topic cut by a part boundary) is folded into it;
/// - decisions, actions, questions and ambiguities are concatenated without exact
///   repeats;
/// - participants are united by name, a specific role winning over
///   "Not specified"; topics (at most 12) and keywords (at most 20) are united.
///
/// The result is normalised and validated. With one part, that part is returned
/// (normalised and validated).
pub fn merge_parts(parts: Vec<MeetingNotes>) -> Result<MeetingNotes, SummaryError> {
    let mut parts = parts.into_iter();
    let mut merged = parts.next().ok_or(SummaryError::EmptyInput)?;
    let mut highlight_lists = vec![std::mem::take(&mut merged.highlights)];
    for part in parts {
        merged.summary = format!("{} {}", merged.summary.trim(), part.summary.trim());
        highlight_lists.push(part.highlights);
        for chapter in part.chapters {
            match merged.chapters.last_mut() {
                Some(last) if last.title.eq_ignore_ascii_case(&chapter.title) => {
                    union(&mut last.bullets, chapter.bullets);
                }
                _ => merged.chapters.push(chapter),
            }
        }
        union(&mut merged.decisions, part.decisions);
        union(&mut merged.ambiguities, part.ambiguities);
        for action in part.actions {
            if !merged.actions.contains(&action) {
                merged.actions.push(action);
            }
        }
        for qna in part.qna {
            if !merged.qna.contains(&qna) {
                merged.qna.push(qna);
            }
        }
        for p in part.participants {
            match merged
                .participants
                .iter_mut()
                .find(|q| q.name.eq_ignore_ascii_case(&p.name))
            {
                Some(known) if known.role == NOT_SPECIFIED || known.role.trim().is_empty() => {
                    known.role = p.role;
                }
                Some(_) => {}
                None => merged.participants.push(p),
            }
        }
        union(&mut merged.topics, part.topics);
        union(&mut merged.keywords, part.keywords);
    }
    merged
        .chapters
        .sort_by_key(|c| parse_timestamp(&c.timestamp).unwrap_or(i64::MAX));
    merged.topics.truncate(MAX_TOPICS);
    merged.keywords.truncate(MAX_KEYWORDS);
    let longest = highlight_lists.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for list in &highlight_lists {
            if let Some(h) = list.get(i)
                && merged.highlights.len() < MAX_HIGHLIGHTS
                && !merged.highlights.iter().any(|k| k.eq_ignore_ascii_case(h))
            {
                merged.highlights.push(h.clone());
            }
        }
    }
    merged.normalized()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::notes::Participant;

    fn part(title: &str, at: &str, highlights: &[&str]) -> MeetingNotes {
        serde_json::from_value(serde_json::json!({
            "title": title, "summary": format!("{title} summary."),
            "highlights": highlights,
            "chapters": [{ "timestamp": at, "title": title, "bullets": [format!("{title} point")] }],
            "actions": [{ "action": "Write the plan", "assignee": "Shah", "due_date": "Friday" }],
            "participants": [{ "name": "Faheem", "role": "Not specified" }],
            "topics": ["Billing"], "keywords": [title.to_lowercase()]
        }))
        .unwrap()
    }

    #[test]
    fn parts_merge_in_order_without_repeats() {
        let a = part("Chunking", "00:00", &["a1", "a2", "a3", "a4"]);
        let mut b = part("Billing", "20:00", &["b1", "b2", "b3", "b4"]);
        b.participants[0].role = "Host".into();
        b.participants.push(Participant {
            name: "Shah".into(),
            role: "Product Owner".into(),
        });
        let mut c = part("Billing", "40:00", &["a1", "c1"]);
        c.chapters[0].bullets.push("More billing".into());
        let m = merge_parts(vec![a, b, c]).unwrap();
        assert_eq!(m.title, "Chunking");
        assert_eq!(
            m.summary,
            "Chunking summary. Billing summary. Billing summary."
        );
        assert_eq!(m.highlights, vec!["a1", "b1", "a2", "b2", "c1", "a3"]);
        let stamps: Vec<_> = m.chapters.iter().map(|c| c.timestamp.as_str()).collect();
        assert_eq!(stamps, vec!["00:00", "20:00"]);
        assert_eq!(m.chapters[1].bullets, vec!["Billing point", "More billing"]);
        assert_eq!(m.actions.len(), 1);
        assert_eq!(m.participants.len(), 2);
        assert_eq!(m.participants[0].role, "Host");
        assert_eq!(m.topics, vec!["Billing"]);
        assert_eq!(m.keywords, vec!["chunking", "billing"]);
        assert_eq!(merge_parts(vec![]), Err(SummaryError::EmptyInput));
    }
}
