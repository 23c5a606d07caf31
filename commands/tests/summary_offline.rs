//! The offline summarizer on a realistic 30-minute meeting
//! (`fixtures/meeting-30min.json`: four speakers, questions and answers, actions
//! with owners and deadlines, decisions, a pause inside the first topic and a
//! topic shift without a pause): it finds what was planted, writes valid notes,
//! and writes the same notes every time.

use altegon_commands::summary::{
    ChatLine, MeetingNotes, NO_DUE_DATE, OfflineSummarizer, Summarizer, SummaryError,
    TranscriptLine, UNASSIGNED, format_timestamp, parse_timestamp,
};
use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

fn meeting() -> Vec<TranscriptLine> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/meeting-30min.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture"))
        .expect("fixture lines")
}

/// Offset `MM:SS` of the first line containing `needle`.
fn when(lines: &[TranscriptLine], needle: &str) -> (usize, String) {
    let i = lines
        .iter()
        .position(|l| l.message.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}"));
    (
        i,
        format_timestamp((lines[i].at - lines[0].at).num_seconds()),
    )
}

async fn notes() -> MeetingNotes {
    OfflineSummarizer
        .meeting_notes(&meeting())
        .await
        .expect("notes")
}

#[tokio::test]
async fn the_fixture_is_a_thirty_minute_meeting_with_a_pause() {
    let lines = meeting();
    let minutes = (lines[lines.len() - 1].at - lines[0].at).num_minutes();
    assert!((25..=35).contains(&minutes), "{minutes} minutes");
    let longest_gap = lines
        .windows(2)
        .map(|w| (w[1].at - w[0].at).num_seconds())
        .max();
    assert!(longest_gap > Some(180));
}

#[tokio::test]
async fn the_planted_actions_are_found_with_owner_and_deadline() {
    let notes = notes().await;
    let expected = [
        ("Check with the team lead", "Faheem", "Friday"),
        ("Build a test script that replays", "Aisha", NO_DUE_DATE),
        (
            "Include the Urdu and Arabic recordings",
            "Aisha",
            NO_DUE_DATE,
        ),
        ("test script ready by Wednesday", "Aisha", "Wednesday"),
        ("Write the migration plan", "Shah", "End of the month"),
        ("Update the runbook", UNASSIGNED, NO_DUE_DATE),
        ("Follow up with the finance team", "Aisha", "Tomorrow"),
        ("Send sample invoices", "Omar", "March 3"),
        ("stream rows", "Aisha", "Next sprint"),
    ];
    for (needle, assignee, due) in expected {
        let action = notes
            .actions
            .iter()
            .find(|a| a.action.contains(needle))
            .unwrap_or_else(|| panic!("no action about {needle:?}: {:#?}", notes.actions));
        assert_eq!(
            (action.assignee.as_str(), action.due_date.as_str()),
            (assignee, due),
            "{needle}"
        );
    }
    // Nothing else: no "we will wait", no "I will present", no recap.
    assert_eq!(notes.actions.len(), expected.len(), "{:#?}", notes.actions);
}

#[tokio::test]
async fn decisions_questions_and_ambiguities_are_found() {
    let notes = notes().await;
    let decided = |needle: &str| {
        notes
            .decisions
            .iter()
            .find(|d| d.contains(needle))
            .unwrap_or_else(|| panic!("no decision about {needle:?}: {:#?}", notes.decisions))
    };
    assert!(decided("keep the current speech model").ends_with("(Shah)"));
    assert!(decided("event subscription for invoices").ends_with("(Shah; agreed by Omar)"));
    assert!(decided("partial captions").ends_with("(Agreed by Faheem)"));
    assert_eq!(notes.decisions.len(), 3, "{:#?}", notes.decisions);
    assert!(!notes.decisions.iter().any(|d| d.contains("to be decided")));

    let answer = |needle: &str| {
        &notes
            .qna
            .iter()
            .find(|q| q.question.contains(needle))
            .unwrap_or_else(|| panic!("no question about {needle:?}: {:#?}", notes.qna))
            .answer
    };
    assert!(answer("phase one").contains("team lead"));
    assert!(answer("pause threshold").contains("seven hundred milliseconds"));
    assert!(answer("subscribe to the storage events").contains("event log"));
    assert!(answer("convert at invoice time").contains("to be decided"));

    for needle in ["unclear", "to be decided", "not sure"] {
        assert!(
            notes.ambiguities.iter().any(|a| a.contains(needle)),
            "{needle}: {:#?}",
            notes.ambiguities
        );
    }
}

#[tokio::test]
async fn speakers_are_participants_with_roles() {
    let roles: Vec<(String, String)> = notes()
        .await
        .participants
        .into_iter()
        .map(|p| (p.name, p.role))
        .collect();
    let expected = [
        ("Faheem", "Host"),
        ("Shah", "Participant"),
        ("Aisha", "Presenter"),
        ("Omar", "Participant"),
    ];
    assert_eq!(
        roles,
        expected.map(|(n, r)| (n.to_owned(), r.to_owned())).to_vec()
    );
}

#[tokio::test]
async fn chapters_start_at_the_pause_and_at_the_topic_shift() {
    let lines = meeting();
    let notes = notes().await;
    let stamps: Vec<&str> = notes
        .chapters
        .iter()
        .map(|c| c.timestamp.as_str())
        .collect();
    let seconds: Vec<i64> = stamps
        .iter()
        .map(|t| parse_timestamp(t).unwrap_or_else(|| panic!("{t} is not MM:SS")))
        .collect();
    assert!(seconds.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
    assert_eq!(stamps[0], "00:00");

    let (_, back) = when(&lines, "Sorry about that, I am back");
    assert!(
        stamps.contains(&back.as_str()),
        "pause at {back}: {stamps:?}"
    );

    // The billing topic starts without a pause: Omar joins, then "Let's move on".
    let (joined, joined_at) = when(&lines, "I am here for the billing part");
    let (_, moved_on_at) = when(&lines, "Let's move on to the billing dashboard");
    assert!((lines[joined].at - lines[joined - 1].at).num_seconds() < 120);
    let billing = notes
        .chapters
        .iter()
        .find(|c| c.timestamp == joined_at || c.timestamp == moved_on_at)
        .unwrap_or_else(|| panic!("no chapter at the billing topic: {stamps:?}"));
    assert!(
        billing.title.contains("Invoice") || billing.title.contains("Billing"),
        "{}",
        billing.title
    );
    assert!(
        notes.chapters.iter().all(|c| !c.bullets.is_empty()),
        "{:#?}",
        notes.chapters
    );
    assert_eq!(
        notes.chapters.last().map(|c| c.title.as_str()),
        Some("Wrap-up")
    );
}

#[tokio::test]
async fn notes_are_valid_complete_and_deterministic() {
    let notes = notes().await;
    assert_eq!(notes.validate(), Ok(()));
    assert!((3..=6).contains(&notes.highlights.len()));
    assert!(
        notes
            .summary
            .starts_with("Faheem, Shah, Aisha and Omar met for 28 minutes")
    );
    assert!(notes.keywords.iter().any(|k| k == "chunking"));
    assert!(notes.keywords.iter().any(|k| k == "invoice"));
    assert!(
        notes.topics.iter().any(|t| t == "Test script"),
        "{:?}",
        notes.topics
    );
    assert!(!notes.title.is_empty());

    // Filler words are not quoted.
    let text = serde_json::to_string(&notes).expect("json");
    for filler in [" um ", " uh ", "Um,", "Uh,", "Hmm,"] {
        assert!(!text.contains(filler), "{filler} in {text}");
    }

    // The reference's field names, exactly.
    let value = serde_json::to_value(&notes).expect("json");
    let mut fields: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    fields.sort_unstable();
    assert_eq!(
        fields,
        vec![
            "actions",
            "ambiguities",
            "chapters",
            "decisions",
            "highlights",
            "keywords",
            "participants",
            "qna",
            "summary",
            "title",
            "topics"
        ]
    );
    assert!(value["actions"][0].get("due_date").is_some());
    assert!(value["chapters"][0].get("bullets").is_some());

    // Same input, same notes; the order lines arrive in does not matter.
    let again = OfflineSummarizer
        .meeting_notes(&meeting())
        .await
        .expect("notes");
    assert_eq!(serde_json::to_string(&again).expect("json"), text);
    let mut reversed = meeting();
    reversed.reverse();
    let from_reversed = OfflineSummarizer
        .meeting_notes(&reversed)
        .await
        .expect("notes");
    assert_eq!(from_reversed, notes);
}

#[tokio::test]
async fn nothing_to_summarize_is_an_error_and_little_is_still_valid() {
    let at = Utc.with_ymd_and_hms(2025, 10, 13, 10, 0, 0).unwrap();
    let line = |who: &str, message: &str, s: i64| TranscriptLine {
        user_name: who.into(),
        message: message.into(),
        at: at + Duration::seconds(s),
    };
    assert_eq!(
        OfflineSummarizer.meeting_notes(&[]).await,
        Err(SummaryError::EmptyInput)
    );
    assert_eq!(
        OfflineSummarizer
            .meeting_notes(&[line("A", "  ", 0), line("B", "\n", 5)])
            .await,
        Err(SummaryError::EmptyInput)
    );
    let tiny = OfflineSummarizer
        .meeting_notes(&[line("A", "ok", 0), line("", "...", 3)])
        .await
        .expect("notes of almost nothing");
    assert_eq!(tiny.validate(), Ok(()));
    assert_eq!(tiny.chapters.len(), 1);
    assert!(
        tiny.participants
            .iter()
            .any(|p| p.name == "Unknown speaker")
    );
}

#[tokio::test]
async fn the_chat_summary_names_people_topics_and_open_points() {
    let at = Utc.with_ymd_and_hms(2025, 10, 13, 9, 0, 0).unwrap();
    let chat: Vec<ChatLine> = [
        (
            "John",
            "Hello everyone! Shall we review the launch plan today?",
        ),
        (
            "Mary",
            "Yes, the launch plan needs a firm date and a budget owner.",
        ),
        (
            "John",
            "The launch date is unclear until marketing confirms the campaign.",
        ),
        (
            "Mary",
            "Then I will ask marketing about the campaign date tomorrow.",
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (u, m))| ChatLine {
        user_name: u.into(),
        message: m.into(),
        at: at + Duration::seconds(i as i64 * 30),
    })
    .collect();
    let summary = OfflineSummarizer
        .chat_summary(&chat)
        .await
        .expect("summary");
    assert!(
        summary.starts_with("John and Mary exchanged 4 messages about launch"),
        "{summary}"
    );
    assert!(
        summary.contains("Still open: The launch date is unclear"),
        "{summary}"
    );
    assert!(!summary.contains('\n'));
    assert_eq!(OfflineSummarizer.chat_summary(&chat).await, Ok(summary));
    assert_eq!(
        OfflineSummarizer.chat_summary(&[]).await,
        Err(SummaryError::EmptyInput)
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever is said, the notes are valid (or the input was blank).
    #[test]
    fn any_transcript_gives_valid_notes(
        said in proptest::collection::vec(
            ("[A-Z][a-z]{0,8}|", "\\PC{0,200}|[a-z ,.?!]{0,200}", 0i64..400),
            1..40,
        )
    ) {
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let mut at = start;
        let lines: Vec<TranscriptLine> = said
            .into_iter()
            .map(|(who, message, gap)| {
                at += Duration::seconds(gap);
                TranscriptLine { user_name: who, message, at }
            })
            .collect();
        let blank = lines.iter().all(|l| l.message.trim().is_empty());
        match runtime().block_on(OfflineSummarizer.meeting_notes(&lines)) {
            Ok(notes) => {
                prop_assert!(!blank);
                prop_assert_eq!(notes.validate(), Ok(()));
            }
            Err(e) => prop_assert!(blank && e == SummaryError::EmptyInput, "{}", e),
        }
    }
}
