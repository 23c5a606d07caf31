//! The meeting-notes structure of the reference API, its normalisation (the
//! reference's defaults for missing values) and its validation.

use serde::{Deserialize, Serialize};

use super::SummaryError;

/// Most highlights allowed (the reference asks for three to six).
pub const MAX_HIGHLIGHTS: usize = 6;
/// The assignee of a task nobody was named for.
pub const UNASSIGNED: &str = "Unassigned";
/// The due date of a task without one.
pub const NO_DUE_DATE: &str = "No due date";
/// A missing answer or role.
pub const NOT_SPECIFIED: &str = "Not specified";

/// Structured notes of a meeting, with the reference's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingNotes {
    /// Brief meeting title.
    pub title: String,
    /// One paragraph of key outcomes.
    pub summary: String,
    /// One to six important points.
    #[serde(default)]
    pub highlights: Vec<String>,
    /// Parts of the meeting, in order, with `MM:SS` timestamps.
    #[serde(default)]
    pub chapters: Vec<Chapter>,
    /// Decisions made, with who agreed.
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
    /// Start, `MM:SS` from the meeting's start (minutes may exceed 99).
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
    /// Who does it ([`UNASSIGNED`] when nobody was named).
    #[serde(default)]
    pub assignee: String,
    /// By when ([`NO_DUE_DATE`] when none was named).
    #[serde(default, alias = "dueDate")]
    pub due_date: String,
}

/// A question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qna {
    /// The question.
    pub question: String,
    /// The answer ([`NOT_SPECIFIED`] when none was given).
    #[serde(default)]
    pub answer: String,
}

/// Someone who took part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Name.
    pub name: String,
    /// Role, inferred from context ([`NOT_SPECIFIED`] when it cannot be).
    #[serde(default)]
    pub role: String,
}

/// Seconds of an `MM:SS` timestamp (two or more minute digits, seconds below 60).
pub fn parse_timestamp(t: &str) -> Option<i64> {
    let (m, s) = t.split_once(':')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if m.len() < 2 || s.len() != 2 || !digits(m) || !digits(s) {
        return None;
    }
    let (m, s) = (m.parse::<i64>().ok()?, s.parse::<i64>().ok()?);
    (s < 60).then_some(m * 60 + s)
}

/// `MM:SS` for a number of seconds (negative counts as zero).
pub fn format_timestamp(seconds: i64) -> String {
    let seconds = seconds.max(0);
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

/// `M:SS` and `H:MM:SS` written as `MM:SS`; anything else unchanged.
fn normalize_timestamp(t: &str) -> String {
    let t = t.trim();
    let parts: Vec<&str> = t.split(':').collect();
    let num = |x: &str| {
        (!x.is_empty() && x.len() <= 3 && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse::<i64>().ok())
            .flatten()
    };
    let seconds = match parts.as_slice() {
        [m, s] if s.len() == 2 => num(m).zip(num(s)).map(|(m, s)| (m, s, 0)),
        [h, m, s] if m.len() == 2 && s.len() == 2 => {
            num(h).zip(num(m)).zip(num(s)).map(|((h, m), s)| (m, s, h))
        }
        _ => None,
    };
    match seconds {
        Some((m, s, h)) if s < 60 && (h == 0 || m < 60) => format_timestamp(h * 3600 + m * 60 + s),
        _ => t.to_owned(),
    }
}

/// Whitespace runs as one space, trimmed: every field is one line of text.
fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Values that mean "nothing here".
fn is_placeholder(s: &str, extra: &[&str]) -> bool {
    let lower = s.trim().trim_end_matches('.').to_lowercase();
    [
        "",
        "-",
        "none",
        "null",
        "n/a",
        "na",
        "unknown",
        "not specified",
        "unspecified",
    ]
    .contains(&lower.as_str())
        || extra.contains(&lower.as_str())
}

/// Trimmed, without blanks or repeats (ignoring case), in order.
fn tidy_list(list: &mut Vec<String>) {
    let mut seen = Vec::new();
    list.retain_mut(|item| {
        *item = tidy(item);
        let key = item.to_lowercase();
        if item.is_empty() || seen.contains(&key) {
            return false;
        }
        seen.push(key);
        true
    });
}

fn invalid<T>(reason: impl Into<String>) -> Result<T, SummaryError> {
    Err(SummaryError::InvalidNotes(reason.into()))
}

impl MeetingNotes {
    /// Applies the reference's conventions: text tidied to single lines, blank
    /// and repeated list items dropped, `M:SS` and `H:MM:SS` written as `MM:SS`,
    /// a missing assignee as [`UNASSIGNED`], a missing due date (empty, "none",
    /// "not specified", "TBD", ...) as [`NO_DUE_DATE`], missing answers and roles
    /// as [`NOT_SPECIFIED`].
    pub fn normalize(&mut self) {
        self.title = tidy(&self.title);
        self.summary = tidy(&self.summary);
        for list in [
            &mut self.highlights,
            &mut self.decisions,
            &mut self.topics,
            &mut self.keywords,
            &mut self.ambiguities,
        ] {
            tidy_list(list);
        }
        for c in &mut self.chapters {
            c.timestamp = normalize_timestamp(&c.timestamp);
            c.title = tidy(&c.title);
            tidy_list(&mut c.bullets);
        }
        self.actions.retain_mut(|a| {
            a.action = tidy(&a.action);
            a.assignee = tidy(&a.assignee);
            a.due_date = tidy(&a.due_date);
            if is_placeholder(&a.assignee, &["unassigned", "nobody", "no one", "tbd"]) {
                a.assignee = UNASSIGNED.to_owned();
            }
            if is_placeholder(
                &a.due_date,
                &[
                    "no due date",
                    "no deadline",
                    "tbd",
                    "to be determined",
                    "not set",
                ],
            ) {
                a.due_date = NO_DUE_DATE.to_owned();
            }
            !a.action.is_empty()
        });
        self.actions.dedup();
        self.qna.retain_mut(|q| {
            q.question = tidy(&q.question);
            q.answer = tidy(&q.answer);
            if is_placeholder(&q.answer, &["no answer", "unanswered"]) {
                q.answer = NOT_SPECIFIED.to_owned();
            }
            !q.question.is_empty()
        });
        let mut names = Vec::new();
        self.participants.retain_mut(|p| {
            p.name = tidy(&p.name);
            p.role = tidy(&p.role);
            if is_placeholder(&p.role, &[]) {
                p.role = NOT_SPECIFIED.to_owned();
            }
            let key = p.name.to_lowercase();
            if p.name.is_empty() || names.contains(&key) {
                return false;
            }
            names.push(key);
            true
        });
    }

    /// Checks the rules every stored set of notes keeps: a title and a summary;
    /// one to [`MAX_HIGHLIGHTS`] highlights; chapters with `MM:SS` timestamps in
    /// order and a title; no blank text anywhere, every task with an assignee and
    /// a due date, every question with an answer, every participant with a role
    /// (the defaults of [`MeetingNotes::normalize`] count).
    pub fn validate(&self) -> Result<(), SummaryError> {
        if self.title.trim().is_empty() {
            return invalid("the title is empty");
        }
        if self.summary.trim().is_empty() {
            return invalid("the summary is empty");
        }
        if self.highlights.is_empty() {
            return invalid("there are no highlights");
        }
        if self.highlights.len() > MAX_HIGHLIGHTS {
            return invalid(format!(
                "there are {} highlights, at most {MAX_HIGHLIGHTS} are allowed",
                self.highlights.len()
            ));
        }
        let mut previous = 0;
        for c in &self.chapters {
            let Some(at) = parse_timestamp(&c.timestamp) else {
                return invalid(format!("chapter timestamp {:?} is not MM:SS", c.timestamp));
            };
            if at < previous {
                return invalid(format!(
                    "chapter {:?} at {} starts before the chapter above it",
                    c.title, c.timestamp
                ));
            }
            previous = at;
            if c.title.trim().is_empty() {
                return invalid(format!("the chapter at {} has no title", c.timestamp));
            }
            if c.bullets.iter().any(|b| b.trim().is_empty()) {
                return invalid(format!("the chapter at {} has a blank bullet", c.timestamp));
            }
        }
        for (field, list) in [
            ("highlights", &self.highlights),
            ("decisions", &self.decisions),
            ("topics", &self.topics),
            ("keywords", &self.keywords),
            ("ambiguities", &self.ambiguities),
        ] {
            if list.iter().any(|s| s.trim().is_empty()) {
                return invalid(format!("{field} has a blank item"));
            }
        }
        for a in &self.actions {
            if [&a.action, &a.assignee, &a.due_date]
                .iter()
                .any(|s| s.trim().is_empty())
            {
                return invalid("a task lacks its action, assignee or due date");
            }
        }
        if self
            .qna
            .iter()
            .any(|q| q.question.trim().is_empty() || q.answer.trim().is_empty())
        {
            return invalid("a question or an answer is blank");
        }
        if self
            .participants
            .iter()
            .any(|p| p.name.trim().is_empty() || p.role.trim().is_empty())
        {
            return invalid("a participant lacks a name or role");
        }
        Ok(())
    }

    /// [`MeetingNotes::normalize`], then [`MeetingNotes::validate`].
    pub fn normalized(mut self) -> Result<Self, SummaryError> {
        self.normalize();
        self.validate()?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes() -> MeetingNotes {
        serde_json::from_value(serde_json::json!({
            "title": " T ", "summary": "S\nmore",
            "highlights": ["a", "b", " ", "A"],
            "chapters": [{ "timestamp": "3:00", "title": "C", "bullets": [] }],
            "actions": [
                { "action": "Do it" },
                { "action": "Do that", "assignee": "N/A", "due_date": "Not specified" },
                { "action": "Later", "assignee": "Shah", "dueDate": "TBD" },
                { "action": " " }
            ],
            "qna": [{ "question": "Why?" }],
            "participants": [{ "name": "Faheem" }, { "name": "faheem", "role": "Lead" }]
        }))
        .unwrap()
    }

    #[test]
    fn missing_values_get_the_reference_defaults() {
        let n = notes().normalized().unwrap();
        assert_eq!((n.title.as_str(), n.summary.as_str()), ("T", "S more"));
        assert_eq!(n.highlights, vec!["a", "b"]);
        assert_eq!(n.chapters[0].timestamp, "03:00");
        assert_eq!(n.actions.len(), 3);
        for a in &n.actions[..2] {
            assert_eq!(
                (a.assignee.as_str(), a.due_date.as_str()),
                (UNASSIGNED, NO_DUE_DATE)
            );
        }
        assert_eq!(n.actions[2].due_date, NO_DUE_DATE);
        assert_eq!(n.qna[0].answer, NOT_SPECIFIED);
        assert_eq!(n.participants.len(), 1);
        assert_eq!(n.participants[0].role, NOT_SPECIFIED);
        assert!(n.decisions.is_empty());
    }

    #[test]
    fn the_rules_are_enforced() {
        let ok = notes().normalized().unwrap();
        type Breakage = Box<dyn Fn(&mut MeetingNotes)>;
        let broken: Vec<(&str, Breakage)> = vec![
            ("title", Box::new(|n| n.title.clear())),
            ("summary", Box::new(|n| n.summary = " ".into())),
            ("no highlights", Box::new(|n| n.highlights.clear())),
            (
                "7 highlights",
                Box::new(|n| n.highlights = vec!["h".into(); 7]),
            ),
            (
                "timestamp",
                Box::new(|n| n.chapters[0].timestamp = "3 min".into()),
            ),
            (
                "order",
                Box::new(|n| {
                    n.chapters.push(Chapter {
                        timestamp: "01:00".into(),
                        title: "Earlier".into(),
                        bullets: vec![],
                    })
                }),
            ),
            ("chapter title", Box::new(|n| n.chapters[0].title.clear())),
            ("assignee", Box::new(|n| n.actions[0].assignee.clear())),
            ("answer", Box::new(|n| n.qna[0].answer.clear())),
            ("blank keyword", Box::new(|n| n.keywords.push(" ".into()))),
        ];
        for (what, breaks) in broken {
            let mut n = ok.clone();
            breaks(&mut n);
            assert!(
                matches!(n.validate(), Err(SummaryError::InvalidNotes(_))),
                "{what} accepted"
            );
        }
        assert_eq!(ok.validate(), Ok(()));
    }

    #[test]
    fn timestamps_are_minutes_and_seconds() {
        assert_eq!(parse_timestamp("125:59"), Some(125 * 60 + 59));
        assert_eq!(parse_timestamp("00:60"), None);
        assert_eq!(parse_timestamp("3:00"), None);
        assert_eq!(parse_timestamp("aa:bb"), None);
        assert_eq!(format_timestamp(3725), "62:05");
        assert_eq!(format_timestamp(-4), "00:00");
        assert_eq!(normalize_timestamp("1:02:03"), "62:03");
        assert_eq!(normalize_timestamp("7:5"), "7:5");
    }
}
