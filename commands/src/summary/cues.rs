//! Cue phrases the offline summarizer reads: who commits to what ("I will ...",
//! "Shah needs to ..."), by when ("by Friday", "end of the month", "March 3"),
//! what was decided ("agreed", "decided", "let's go with"), what is unclear, and
//! who says they host or present.

use super::text::{capitalize, words};

/// A word of a sentence: its lowercase form and where it starts in the text.
struct Word {
    lower: String,
    start: usize,
}

/// The words of `text` with their byte offsets.
fn spans(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let lower = words(&text[s..i]).concat();
                if !lower.is_empty() {
                    out.push(Word { lower, start: s });
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Whether the words contain the phrase, word for word.
pub(crate) fn has_phrase(words: &[String], phrase: &str) -> bool {
    let phrase: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(phrase.len())
        .any(|w| w.iter().zip(&phrase).all(|(a, b)| a == b))
}

fn has_any(words: &[String], phrases: &[&str]) -> bool {
    phrases.iter().any(|p| has_phrase(words, p))
}

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const PERIODS: &[&str] = &["day", "week", "month", "quarter", "sprint", "year"];
const COUNTS: &[&str] = &[
    "a", "one", "two", "three", "four", "five", "six", "couple", "few",
];

/// A day of the month: "3", "3rd", "21st".
fn day_of_month(word: &str) -> Option<u32> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let suffix = &word[digits.len()..];
    if !["", "st", "nd", "rd", "th"].contains(&suffix) {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// An ISO date (`2025-11-01`) in the text.
fn iso_date(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = text.get(i..i + 10)?;
        let shape = candidate.bytes().enumerate().all(|(k, b)| {
            if k == 4 || k == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
        let bounded = |at: usize| bytes.get(at).is_none_or(|b| !b.is_ascii_alphanumeric());
        (shape && (i == 0 || bounded(i - 1)) && bounded(i + 10)).then(|| (i, candidate.to_owned()))
    })
}

/// The first deadline phrase of a sentence, written for the notes: "Friday",
/// "Next Friday", "Tomorrow", "End of the month", "Next week", "In two weeks",
/// "March 3", "The 15th", "2025-11-01".
pub(crate) fn due_date(sentence: &str) -> Option<String> {
    let ws: Vec<String> = words(sentence);
    let at = |i: usize| ws.get(i).map(String::as_str).unwrap_or("");
    let mut found: Option<(usize, String)> = None;
    for i in 0..ws.len() {
        let w = at(i);
        let phrase = if w == "end" && at(i + 1) == "of" {
            let p = if at(i + 2) == "the" {
                at(i + 3)
            } else {
                at(i + 2)
            };
            PERIODS.contains(&p).then(|| format!("End of the {p}"))
        } else if w == "eod" {
            Some("End of the day".to_owned())
        } else if w == "eow" {
            Some("End of the week".to_owned())
        } else if WEEKDAYS.contains(&w) && at(i.wrapping_sub(1)) != "last" {
            Some(match at(i.wrapping_sub(1)) {
                "next" => format!("Next {}", capitalize(w)),
                _ => capitalize(w),
            })
        } else if w == "tomorrow" || w == "tonight" {
            Some(capitalize(w))
        } else if (w == "next" || w == "this") && PERIODS.contains(&at(i + 1)) {
            Some(format!("{} {}", capitalize(w), at(i + 1)))
        } else if w == "in"
            && (COUNTS.contains(&at(i + 1)) || at(i + 1).parse::<u32>().is_ok())
            && PERIODS
                .iter()
                .any(|p| at(i + 2).trim_end_matches('s') == *p)
        {
            Some(format!("In {} {}", at(i + 1), at(i + 2)))
        } else if MONTHS.contains(&w) {
            let before = day_of_month(at(i.wrapping_sub(1)))
                .filter(|_| i > 0)
                .or_else(|| {
                    day_of_month(at(i.wrapping_sub(2))).filter(|_| i > 1 && at(i - 1) == "of")
                });
            match (day_of_month(at(i + 1)), before) {
                (Some(d), _) | (None, Some(d)) => Some(format!("{} {d}", capitalize(w))),
                (None, None)
                    if w != "may"
                        && ["by", "before", "until", "in"].contains(&at(i.wrapping_sub(1))) =>
                {
                    Some(capitalize(w))
                }
                _ => None,
            }
        } else if w == "the" && at(i + 1).ends_with(|c: char| c.is_ascii_alphabetic()) {
            day_of_month(at(i + 1))
                .filter(|_| at(i + 1).len() > 2)
                .map(|_| format!("The {}", at(i + 1)))
        } else {
            None
        };
        if let Some(p) = phrase {
            found = Some((i, p));
            break;
        }
    }
    let words_before_iso =
        iso_date(sentence).map(|(byte, date)| (words(&sentence[..byte]).len(), date));
    match (found, words_before_iso) {
        (Some((i, p)), Some((j, d))) => Some(if j < i { d } else { p }),
        (Some((_, p)), None) => Some(p),
        (None, iso) => iso.map(|(_, d)| d),
    }
}

/// Who an action is for, as the sentence says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    /// "I" or "I'll": the speaker.
    Speaker,
    /// "You": the person addressed.
    Addressee,
    /// A participant named as the subject (their full name).
    Named(String),
    /// "We", "someone": nobody in particular.
    Nobody,
}

/// A commitment found in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commitment {
    /// Who it is for.
    pub subject: Subject,
    /// What is to be done, from the verb on ("Check with the team lead by Friday").
    pub action: String,
}

const RECAPS: &[&str] = &[
    "to recap",
    "recap",
    "summary",
    "to summarize",
    "to summarise",
    "in summary",
    "to sum up",
    "so to sum up",
];
/// Words that may stand between subject and modal or modal and verb.
const ADVERBS: &[&str] = &[
    "also",
    "then",
    "just",
    "definitely",
    "certainly",
    "first",
    "quickly",
    "personally",
    "still",
];
/// Verbs that start no task ("I will be ...", "we will see").
const NOT_TASKS: &[&str] = &[
    "be", "not", "never", "see", "wait", "think", "try", "probably", "maybe",
];
/// Verbs of running the meeting itself ("I will present first", "I'll share my
/// screen"): tasks only when a deadline is named.
const IN_MEETING: &[&str] = &[
    "begin",
    "continue",
    "explain",
    "go",
    "join",
    "move",
    "mute",
    "present",
    "reconnect",
    "recap",
    "repeat",
    "share",
    "show",
    "start",
    "stop",
    "summarize",
    "unmute",
    "walk",
];

/// The participant a word names, by first name or full name.
fn participant<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|n| {
        let lower = n.to_lowercase();
        lower == word || lower.split_whitespace().next() == Some(word)
    })
}

/// A commitment in a statement: a subject ("I", "we", "you", "someone", a
/// participant's name) with "will", "'ll", "needs to", "has to", "must",
/// "should", "is going to", or "can" when a deadline is named; or an "action
/// item:" line. Questions, recaps, negations and tasks of fewer than three words
/// are not commitments.
pub(crate) fn commitment(sentence: &str, names: &[&str]) -> Option<Commitment> {
    let trimmed = sentence.trim();
    if trimmed.ends_with('?') {
        return None;
    }
    let ws = spans(trimmed);
    let lower: Vec<String> = ws.iter().map(|w| w.lower.clone()).collect();
    if RECAPS.iter().any(|r| {
        let r: Vec<&str> = r.split(' ').collect();
        lower.len() >= r.len() && lower.iter().zip(&r).all(|(a, b)| a == b)
    }) {
        return None;
    }
    let has_deadline = due_date(trimmed).is_some();
    let finish = |subject: Subject, from: usize| -> Option<Commitment> {
        let mut from = from;
        while lower
            .get(from)
            .is_some_and(|w| ADVERBS.contains(&w.as_str()))
        {
            from += 1;
        }
        let first = lower.get(from)?;
        if NOT_TASKS.contains(&first.as_str())
            || (IN_MEETING.contains(&first.as_str()) && !has_deadline)
            || ws.len() - from < 3
        {
            return None;
        }
        let text = trimmed[ws[from].start..].trim_end_matches(['.', '!', ';', ',']);
        Some(Commitment {
            subject,
            action: capitalize(text),
        })
    };
    if lower.first().is_some_and(|w| w == "action" || w == "todo")
        && let Some(colon) = trimmed.find(':')
    {
        let rest = trimmed[colon + 1..].trim();
        let named = spans(rest)
            .iter()
            .find_map(|w| participant(&w.lower, names))
            .map_or(Subject::Nobody, |n| Subject::Named(n.to_owned()));
        return (rest.split_whitespace().count() >= 3).then(|| Commitment {
            subject: named,
            action: capitalize(rest.trim_end_matches('.')),
        });
    }
    for (i, w) in lower.iter().enumerate() {
        let (subject, modal_at) = match w.as_str() {
            "i'll" => (Subject::Speaker, None),
            "we'll" => (Subject::Nobody, None),
            "you'll" => (Subject::Addressee, None),
            "i'm" => (Subject::Speaker, Some(i + 1)),
            "we're" => (Subject::Nobody, Some(i + 1)),
            "you're" => (Subject::Addressee, Some(i + 1)),
            "i" => (Subject::Speaker, Some(i + 1)),
            "we" | "someone" | "somebody" => (Subject::Nobody, Some(i + 1)),
            "you" => (Subject::Addressee, Some(i + 1)),
            other => match participant(other, names) {
                Some(name) => (Subject::Named(name.to_owned()), Some(i + 1)),
                None => continue,
            },
        };
        let Some(mut m) = modal_at else {
            if let Some(c) = finish(subject, i + 1) {
                return Some(c);
            }
            continue;
        };
        while lower.get(m).is_some_and(|w| ADVERBS.contains(&w.as_str())) {
            m += 1;
        }
        let at = |k: usize| lower.get(k).map(String::as_str).unwrap_or("");
        let verb_at = match at(m) {
            "will" | "must" => Some(m + 1),
            "should" if subject != Subject::Speaker || has_deadline => Some(m + 1),
            "can" if has_deadline => Some(m + 1),
            "need" | "needs" | "has" | "have" if at(m + 1) == "to" => Some(m + 2),
            "am" | "is" | "are" if at(m + 1) == "going" && at(m + 2) == "to" => Some(m + 3),
            "going" if at(m + 1) == "to" => Some(m + 2),
            _ => None,
        };
        if let Some(v) = verb_at
            && let Some(c) = finish(subject, v)
        {
            return Some(c);
        }
    }
    None
}

/// A request to a participant: "Omar, can you send the samples by March 3?"
/// gives `("Omar", "Send the samples by March 3")`.
pub(crate) fn request<'a>(sentence: &str, names: &[&'a str]) -> Option<(&'a str, String)> {
    let trimmed = sentence.trim();
    let ws = spans(trimmed);
    let name = participant(&ws.first()?.lower, names)?;
    let lower: Vec<&str> = ws.iter().map(|w| w.lower.as_str()).collect();
    let from = match lower.get(1..3)? {
        ["can" | "could" | "would" | "will", "you"] => 3,
        ["please", _] => 2,
        _ => return None,
    };
    let from = from + usize::from(lower.get(from) == Some(&"please"));
    if ws.len() < from + 2 {
        return None;
    }
    let text = trimmed[ws[from].start..].trim_end_matches(['?', '.', '!']);
    Some((name, capitalize(text)))
}

/// Whether a reply accepts what was asked or proposed ("Sure", "Yes", "Fine by
/// me", "Agreed", "Will do").
pub(crate) fn accepts(reply: &str) -> bool {
    let ws = words(reply);
    let first = ws.first().map(String::as_str).unwrap_or("");
    [
        "yes",
        "sure",
        "agreed",
        "ok",
        "okay",
        "fine",
        "absolutely",
        "definitely",
        "yep",
        "yeah",
    ]
    .contains(&first)
        || has_any(
            &ws[..ws.len().min(4)],
            &[
                "will do",
                "sounds good",
                "makes sense",
                "i'll",
                "no problem",
                "of course",
            ],
        )
}

/// Whether a statement reports a decision ("we decided", "agreed", "let's go
/// with", "approved"), and not an open one ("to be decided", "not agreed").
/// `Some(true)` when the statement itself is an agreement.
pub(crate) fn decision(sentence: &str) -> Option<bool> {
    if sentence.trim().ends_with('?') {
        return None;
    }
    let ws = words(sentence);
    let open = [
        "to be decided",
        "not decided",
        "undecided",
        "haven't decided",
        "hasn't been decided",
        "yet to decide",
        "not agreed",
        "no decision",
        "not sure",
        "if we decide",
    ];
    if has_any(&ws, &open) {
        return None;
    }
    if has_any(&ws, &["agreed", "we agree", "all agree", "everyone agrees"]) {
        return Some(true);
    }
    has_any(
        &ws,
        &[
            "decided",
            "decision is",
            "let's go with",
            "let us go with",
            "we'll go with",
            "we will go with",
            "we're going with",
            "approved",
            "settled on",
        ],
    )
    .then_some(false)
}

/// Whether a statement closes the meeting ("before we close", "to recap",
/// "bye").
pub(crate) fn closing(sentence: &str) -> bool {
    has_any(
        &words(sentence),
        &[
            "before we close",
            "wrap up",
            "wrap it up",
            "to recap",
            "to sum up",
            "bye",
            "see you",
            "talk to you",
        ],
    )
}

/// Whether a statement says something is unclear or still open.
pub(crate) fn ambiguous(sentence: &str) -> bool {
    has_any(
        &words(sentence),
        &[
            "not sure",
            "unclear",
            "not clear",
            "to be decided",
            "to be determined",
            "tbd",
            "no idea",
            "don't know",
            "unsure",
            "open question",
        ],
    )
}

/// A role someone gives themselves: "Host" ("thanks for joining", "welcome
/// everyone", "I'm hosting") or "Presenter" ("I will present", "let me share my
/// screen", "I'll walk you through").
pub(crate) fn declared_role(text: &str) -> Option<&'static str> {
    let ws = words(text);
    if has_any(
        &ws,
        &[
            "i'm hosting",
            "i am hosting",
            "i'll host",
            "i will host",
            "as the host",
            "as your host",
            "welcome everyone",
            "welcome to",
            "thanks for joining",
            "thank you for joining",
            "thanks everyone for joining",
            "thank you all for joining",
        ],
    ) {
        return Some("Host");
    }
    has_any(
        &ws,
        &[
            "i will present",
            "i'll present",
            "i'm presenting",
            "i am presenting",
            "let me present",
            "as the presenter",
            "i'll walk you through",
            "i will walk you through",
            "let me walk you through",
            "let me share my screen",
            "i'll share my screen",
            "i will share my screen",
        ],
    )
    .then_some("Presenter")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["Faheem", "Shah", "Aisha Khan", "Omar"];

    #[test]
    fn deadlines_are_found_and_written_plainly() {
        let cases = [
            ("I will check with the team lead by Friday.", Some("Friday")),
            (
                "Plan due by the end of the month.",
                Some("End of the month"),
            ),
            (
                "Ship it next Tuesday, not last Monday.",
                Some("Next Tuesday"),
            ),
            ("Last Monday was busy.", None),
            ("Send them by March 3rd.", Some("March 3")),
            ("Send them by 3 of march.", Some("March 3")),
            ("Deadline is 2025-11-01 at noon.", Some("2025-11-01")),
            ("We can do it in two weeks.", Some("In two weeks")),
            ("I may do it.", None),
            ("Ready by the 15th.", Some("The 15th")),
            ("Follow up tomorrow.", Some("Tomorrow")),
            ("The fix goes into next sprint.", Some("Next sprint")),
            ("Nothing planned.", None),
        ];
        for (sentence, expected) in cases {
            assert_eq!(due_date(sentence).as_deref(), expected, "{sentence}");
        }
    }

    #[test]
    fn commitments_have_a_subject_and_a_task() {
        let c = |s: &str| commitment(s, NAMES);
        assert_eq!(
            c("I'm not sure, I will check with the team lead by Friday."),
            Some(Commitment {
                subject: Subject::Speaker,
                action: "Check with the team lead by Friday".into()
            })
        );
        assert_eq!(
            c("Aisha needs to include the Urdu recordings.").map(|c| c.subject),
            Some(Subject::Named("Aisha Khan".into()))
        );
        assert_eq!(
            c("Shah will write the migration plan.").map(|c| c.action),
            Some("Write the migration plan".into())
        );
        assert_eq!(
            c("Someone needs to update the runbook.").map(|c| c.subject),
            Some(Subject::Nobody)
        );
        assert_eq!(
            c("I can have the first version ready by Wednesday.").map(|c| c.action),
            Some("Have the first version ready by Wednesday".into())
        );
        for not_one in [
            "No problem, we will wait.",
            "I will be late.",
            "Can we increase the chunk size?",
            "The test script should report accuracy.",
            "To recap: a test script by Wednesday.",
            "I can help.",
            "Let me share my screen, I will present the measurements first.",
        ] {
            assert_eq!(c(not_one), None, "{not_one}");
        }
        assert!(c("I will present the results on Friday.").is_some());
        assert_eq!(
            c("Action item: Omar sends the invoices.").map(|c| c.subject),
            Some(Subject::Named("Omar".into()))
        );
    }

    #[test]
    fn requests_decisions_and_roles() {
        assert_eq!(
            request("Omar, can you send sample invoices by March 3?", NAMES),
            Some(("Omar", "Send sample invoices by March 3".to_owned()))
        );
        assert_eq!(request("Can you send it?", NAMES), None);
        assert!(accepts("Sure, I'll send them.") && accepts("Fine by me.") && !accepts("No."));
        assert_eq!(decision("We decided to keep the model."), Some(false));
        assert_eq!(decision("Agreed, partial captions it is."), Some(true));
        assert_eq!(decision("That is to be decided with finance."), None);
        assert_eq!(decision("Have we decided?"), None);
        assert!(ambiguous("The currency selector is unclear to me."));
        assert_eq!(declared_role("Thanks for joining, everyone."), Some("Host"));
        assert_eq!(
            declared_role("Let me share my screen, I will present."),
            Some("Presenter")
        );
        assert_eq!(declared_role("Welcome Omar."), None);
    }
}
