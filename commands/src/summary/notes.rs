//! The meeting-notes structure of the reference API, its validation and the
//! merging of notes written for parts of a long transcript.

use serde::{Deserialize, Serialize};

use super::SummaryError;

/// Most highlights kept.
pub const MAX_HIGHLIGHTS: usize = 6;

/// Structured notes of a meeting, with the reference's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingNotes {
    /// Brief meeting title.
    pub title: String,
    /// One paragraph of key outcomes.
    pub summary: String,
    /// Three to six important points.
    #[serde(default)]
    pub highlights: Vec<String>,
    /// Chapters with `MM:SS` timestamps.
    #[serde(default)]
    pub chapters: Vec<Chapter>,
    /// Decisions made.
    #[serde(default)]
    pub decisions: Vec<String>,
    /// Tasks with assignees and due dates.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Questions and answers.
    #[serde(default)]
    pub qna: Vec<Qna>,
    /// Names and roles.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// Topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Items needing clarification.
    #[serde(default)]
    pub ambiguities: Vec<String>,
}

/// A part of the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chapter {
    /// Start, `MM:SS` from the meeting's start.
    pub timestamp: String,
    /// Title.
    pub title: String,
    /// Key points.
    #[serde(default)]
    pub bullets: Vec<String>,
}

/// A task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// What is to be done.
    pub action: String,
    /// Who does it (`Unassigned` when nobody was named).
    #[serde(default)]
    pub assignee: String,
    /// By when (`No due date` when none was named).
    #[serde(default)]
    pub due_date: String,
}

/// A question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qna {
    /// The question.
    pub question: String,
    /// The answer (`Not specified` when none was given).
    #[serde(default)]
    pub answer: String,
}

/// Someone who took part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Name.
    pub name: String,
    /// Role, inferred from context.
    #[serde(default)]
    pub role: String,
}

/// Whether `t` is `MM:SS` (minutes may exceed 99, seconds below 60).
pub fn is_timestamp(t: &str) -> bool {
    let Some((m, s)) = t.split_once(':') else {
        return false;
    };
    m.len() >= 2
        && s.len() == 2
        && m.bytes().all(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|s| s < 60)
}

/// `MM:SS` for a number of seconds.
pub fn timestamp(seconds: i64) -> String {
    let seconds = seconds.max(0);
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

fn or_default(value: &mut String, default: &str) {
    if value.trim().is_empty() {
        *value = default.to_owned();
    }
}

impl MeetingNotes {
    /// Fills the reference's defaults for missing values and checks the rest:
    /// a title and summary, `MM:SS` timestamps, at most six highlights.
    pub fn normalize(mut self) -> Result<Self, SummaryError> {
        let invalid = |m: &str| Err(SummaryError::InvalidReply(m.to_owned()));
        if self.title.trim().is_empty() {
            return invalid("title is empty");
        }
        if self.summary.trim().is_empty() {
            return invalid("summary is empty");
        }
        if let Some(bad) = self.chapters.iter().find(|c| !is_timestamp(&c.timestamp)) {
            return Err(SummaryError::InvalidReply(format!(
                "chapter timestamp {:?} is not MM:SS",
                bad.timestamp
            )));
        }
        self.highlights.truncate(MAX_HIGHLIGHTS);
        for a in &mut self.actions {
            or_default(&mut a.assignee, "Unassigned");
            or_default(&mut a.due_date, "No due date");
        }
        for q in &mut self.qna {
            or_default(&mut q.answer, "Not specified");
        }
        for p in &mut self.participants {
            or_default(&mut p.role, "Not specified");
        }
        Ok(self)
    }

    /// One set of notes from the notes of consecutive parts of a meeting: the first
    /// title, the summaries joined, chapters and lists in order, participants,
    /// topics and keywords without repeats, at most six highlights taken in turn
    /// from each part.
    pub fn merge(parts: Vec<MeetingNotes>) -> Option<MeetingNotes> {
        let mut parts = parts.into_iter();
        let mut merged = parts.next()?;
        let mut highlight_lists = vec![std::mem::take(&mut merged.highlights)];
        for part in parts {
            merged.summary = format!("{} {}", merged.summary.trim(), part.summary.trim());
            highlight_lists.push(part.highlights);
            merged.chapters.extend(part.chapters);
            merged.decisions.extend(part.decisions);
            merged.actions.extend(part.actions);
            merged.qna.extend(part.qna);
            merged.ambiguities.extend(part.ambiguities);
            for p in part.participants {
                if !merged.participants.iter().any(|q| q.name == p.name) {
                    merged.participants.push(p);
                }
            }
            for t in part.topics {
                if !merged.topics.contains(&t) {
                    merged.topics.push(t);
                }
            }
            for k in part.keywords {
                if !merged.keywords.contains(&k) {
                    merged.keywords.push(k);
                }
            }
        }
        let longest = highlight_lists.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for list in &highlight_lists {
                if let Some(h) = list.get(i)
                    && merged.highlights.len() < MAX_HIGHLIGHTS
                {
                    merged.highlights.push(h.clone());
                }
            }
        }
        Some(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes() -> MeetingNotes {
        serde_json::from_value(serde_json::json!({
            "title": "T", "summary": "S",
            "highlights": ["a", "b", "c", "d", "e", "f", "g"],
            "chapters": [{ "timestamp": "03:00", "title": "C", "bullets": [] }],
            "actions": [{ "action": "Do it" }],
            "qna": [{ "question": "Why?" }],
            "participants": [{ "name": "Faheem" }]
        }))
        .unwrap()
    }

    #[test]
    fn missing_values_get_the_reference_defaults() {
        let n = notes().normalize().unwrap();
        assert_eq!(n.highlights.len(), 6);
        assert_eq!(n.actions[0].assignee, "Unassigned");
        assert_eq!(n.actions[0].due_date, "No due date");
        assert_eq!(n.qna[0].answer, "Not specified");
        assert!(n.decisions.is_empty());
    }

    #[test]
    fn bad_timestamps_and_empty_titles_are_invalid() {
        let mut n = notes();
        n.chapters[0].timestamp = "3:00".into();
        assert!(n.normalize().is_err());
        let mut n = notes();
        n.title = " ".into();
        assert!(n.normalize().is_err());
        assert!(is_timestamp("125:59") && !is_timestamp("00:60") && !is_timestamp("aa:bb"));
        assert_eq!(timestamp(3725), "62:05");
    }

    #[test]
    fn parts_merge_in_order_without_repeats() {
        let a = notes().normalize().unwrap();
        let mut b = notes().normalize().unwrap();
        b.chapters[0].timestamp = "20:00".into();
        b.participants.push(Participant {
            name: "Shah".into(),
            role: "Product Owner".into(),
        });
        let m = MeetingNotes::merge(vec![a, b]).unwrap();
        assert_eq!(m.summary, "S S");
        assert_eq!(m.chapters.len(), 2);
        assert_eq!(m.participants.len(), 2);
        assert_eq!(m.highlights, vec!["a", "a", "b", "b", "c", "c"]);
    }
}
