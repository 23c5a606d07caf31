//! Plain-text analysis for the offline summarizer: sentences without filler
//! words, content words (no stop words, plurals folded into their singular when
//! both occur), two-word phrases, and deterministic ranking of key terms.

use std::collections::{BTreeMap, BTreeSet};

/// Words that carry no topic. Sorted, for binary search.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "about", "above", "actually", "after", "again", "against", "ago", "all", "almost", "along",
    "already", "also", "although", "always", "among", "and", "another", "any", "anyone",
    "anything", "are", "aren't", "around", "ask", "asked", "back", "based", "be", "because",
    "been", "before", "being", "below", "best", "better", "between", "big", "bit", "both",
    "but", "bye", "can", "can't", "cannot", "come", "could", "couldn't", "did", "didn't",
    "does", "doesn't", "doing", "don't", "done", "down", "during", "each", "either", "else",
    "enough", "even", "ever", "every", "everyone", "everything", "exactly", "fine", "first",
    "for", "from", "get", "gets", "getting", "give", "go", "goes", "going", "gonna", "good",
    "got", "great", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he's",
    "hello", "her", "here", "here's", "hers", "herself", "hey", "hi", "him", "himself", "his",
    "how", "i'd", "i'll", "i'm", "i've", "idea", "into", "isn't", "it's", "its", "itself",
    "just", "keep", "kind", "know", "last", "later", "least", "less", "let", "let's", "like",
    "little", "long", "look", "lot", "lots", "made", "make", "makes", "many", "may", "maybe",
    "me", "mean", "might", "mine", "moment", "more", "morning", "most", "much", "must", "my",
    "myself", "need", "needed", "needs", "never", "new", "next", "nice", "nope", "nor", "not",
    "nothing", "now", "off", "okay", "once", "one", "only", "onto", "other", "others", "our",
    "ours", "ourselves", "out", "over", "own", "part", "people", "perhaps", "please", "pretty",
    "probably", "put", "quite", "rather", "really", "right", "said", "same", "say", "saying",
    "says", "see", "seem", "seems", "she", "she's", "should", "shouldn't", "side", "since",
    "some", "someone", "something", "soon", "sorry", "sort", "still", "such", "sure", "take",
    "talk", "tell", "than", "thank", "thanks", "that", "that's", "the", "their", "theirs",
    "them", "themselves", "then", "there", "there's", "these", "they", "they'll", "they're",
    "they've", "thing", "things", "think", "this", "those", "though", "through", "today",
    "together", "tomorrow", "too", "took", "toward", "try", "two", "under", "until", "upon",
    "use", "used", "using", "very", "want", "wanted", "wants", "was", "wasn't", "way", "we'd",
    "we'll", "we're", "we've", "week", "well", "were", "weren't", "what", "what's", "whatever",
    "when", "where", "whether", "which", "while", "who", "who's", "whole", "whom", "whose",
    "why", "will", "with", "within", "without", "won't", "work", "would", "wouldn't", "yeah",
    "yes", "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself",
];

/// Words dropped from the sentences quoted in notes.
const FILLERS: &[&str] = &["ah", "eh", "erm", "hmm", "mhm", "uh", "uhm", "um", "umm"];

/// Lowercase, with typographic apostrophes made plain.
fn lower(word: &str) -> String {
    word.replace(['\u{2019}', '\u{2018}'], "'").to_lowercase()
}

/// Whether a lowercase word carries meaning: three letters or more, not a stop
/// word, not a number.
pub(crate) fn is_content(word: &str) -> bool {
    word.chars().count() >= 3
        && STOP_WORDS.binary_search(&word).is_err()
        && !FILLERS.contains(&word)
        && !word.chars().all(|c| c.is_ascii_digit())
}

/// The lowercase words of a text, possessive `'s` removed.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .map(|w| {
            let w = lower(w);
            let w = w.trim_matches('\'');
            w.strip_suffix("'s")
                .filter(|stem| {
                    ![
                        "it", "he", "she", "that", "what", "there", "here", "who", "let",
                    ]
                    .contains(stem)
                })
                .unwrap_or(w)
                .to_owned()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// `text` without filler words ("um", "uh", ...), its first letter upper case.
pub(crate) fn without_fillers(text: &str) -> String {
    let mut kept: Vec<String> = Vec::new();
    for token in text.split_whitespace() {
        let bare = lower(token.trim_matches(|c: char| !c.is_alphanumeric()));
        if FILLERS.contains(&bare.as_str()) {
            // Keep sentence-ending punctuation the filler carried.
            if let (Some(last), Some(end)) = (kept.last_mut(), token.chars().last())
                && matches!(end, '.' | '!' | '?')
            {
                last.push(end);
            }
            continue;
        }
        kept.push(token.to_owned());
    }
    let joined = kept.join(" ");
    capitalize(joined.trim_start_matches(|c: char| c == ',' || c.is_whitespace()))
}

/// The sentences of a text, fillers removed: cut after `.`, `!` or `?` followed
/// by a space (so "2.5" and "e.g" stay whole).
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let ends = matches!(c, '.' | '!' | '?')
            && chars
                .peek()
                .is_none_or(|next| next.is_whitespace() || matches!(next, '"' | '\'' | ')'));
        if ends {
            while let Some(&close) = chars.peek() {
                if !matches!(close, '"' | '\'' | ')') {
                    break;
                }
                current.push(close);
                chars.next();
            }
            let s = without_fillers(&current);
            if s.chars().any(char::is_alphanumeric) {
                out.push(s);
            }
            current.clear();
        }
    }
    let s = without_fillers(&current);
    if s.chars().any(char::is_alphanumeric) {
        out.push(s);
    }
    out
}

/// `word` with its first letter in upper case.
pub(crate) fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Every word capitalised ("billing dashboard" becomes "Billing Dashboard").
pub(crate) fn title_case(phrase: &str) -> String {
    phrase
        .split(' ')
        .map(capitalize)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Word and phrase counts of some texts, with plurals folded.
#[derive(Debug, Default, Clone)]
pub(crate) struct Terms {
    vocabulary: BTreeSet<String>,
    words: BTreeMap<String, usize>,
    phrases: BTreeMap<String, usize>,
}

impl Terms {
    /// Counts the content words and two-word phrases (adjacent content words in
    /// one sentence) of `texts`. Plurals are folded with `vocabulary` (all words
    /// of the meeting), so a part counts "invoices" as "invoice" when the meeting
    /// says both.
    pub(crate) fn new<'a>(texts: impl IntoIterator<Item = &'a str>, vocabulary: &Terms) -> Self {
        let mut terms = Terms {
            vocabulary: vocabulary.vocabulary.clone(),
            ..Terms::default()
        };
        for text in texts {
            for sentence in sentences(text) {
                let ws = words(&sentence);
                for pair in ws.windows(2) {
                    if is_content(&pair[0]) && is_content(&pair[1]) {
                        let phrase = format!("{} {}", terms.fold(&pair[0]), terms.fold(&pair[1]));
                        *terms.phrases.entry(phrase).or_insert(0) += 1;
                    }
                }
                for w in ws.iter().filter(|w| is_content(w)) {
                    *terms.words.entry(terms.fold(w)).or_insert(0) += 1;
                }
            }
        }
        terms
    }

    /// The vocabulary of `texts` alone, to fold plurals with.
    pub(crate) fn vocabulary<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        Terms {
            vocabulary: texts.into_iter().flat_map(words).collect(),
            ..Terms::default()
        }
    }

    /// The singular of a plural when the vocabulary has it, else the word.
    pub(crate) fn fold(&self, word: &str) -> String {
        let known = |w: &str| self.vocabulary.contains(w);
        if let Some(stem) = word.strip_suffix("ies")
            && known(&format!("{stem}y"))
        {
            return format!("{stem}y");
        }
        if let Some(stem) = word.strip_suffix("es")
            && (stem.ends_with('s')
                || stem.ends_with('x')
                || stem.ends_with("ch")
                || stem.ends_with("sh"))
            && known(stem)
        {
            return stem.to_owned();
        }
        if let Some(stem) = word.strip_suffix('s')
            && !stem.ends_with('s')
            && known(stem)
        {
            return stem.to_owned();
        }
        word.to_owned()
    }

    /// The folded content words of a text.
    pub(crate) fn content_words(&self, text: &str) -> Vec<String> {
        words(text)
            .iter()
            .filter(|w| is_content(w))
            .map(|w| self.fold(w))
            .collect()
    }

    /// How often a folded word or phrase occurs.
    pub(crate) fn count(&self, term: &str) -> usize {
        self.words
            .get(term)
            .or_else(|| self.phrases.get(term))
            .copied()
            .unwrap_or(0)
    }

    /// How much a sentence says: the counts of its content words over the square
    /// root of their number.
    pub(crate) fn score(&self, sentence: &str) -> f64 {
        let ws = self.content_words(sentence);
        if ws.is_empty() {
            return 0.0;
        }
        let total: usize = ws.iter().map(|w| self.count(w)).sum();
        total as f64 / (ws.len() as f64).sqrt()
    }

    /// Up to `n` key terms by `weight(term, count)` (phrases seen twice or more
    /// count double), ties broken alphabetically; a term sharing a word with one
    /// already chosen is skipped, so "test script" is not followed by "test".
    pub(crate) fn ranked(&self, n: usize, weight: impl Fn(&str, usize) -> f64) -> Vec<String> {
        let mut candidates: Vec<(f64, &str)> = self
            .phrases
            .iter()
            .filter(|(_, c)| **c >= 2)
            .map(|(p, c)| (2.0 * weight(p, *c), p.as_str()))
            .chain(self.words.iter().map(|(w, c)| (weight(w, *c), w.as_str())))
            .filter(|(score, _)| *score > 0.0)
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut chosen: Vec<&str> = Vec::new();
        for (_, term) in candidates {
            if chosen.len() == n {
                break;
            }
            let overlaps = chosen
                .iter()
                .any(|c| c.split(' ').any(|w| term.split(' ').any(|t| t == w)));
            if !overlaps {
                chosen.push(term);
            }
        }
        chosen.into_iter().map(str::to_owned).collect()
    }

    /// Up to `n` two-word phrases seen at least twice, by frequency, ties
    /// broken alphabetically, without two sharing a word.
    pub(crate) fn top_phrases(&self, n: usize) -> Vec<String> {
        self.ranked(n, |term, count| {
            if term.contains(' ') {
                count as f64
            } else {
                0.0
            }
        })
    }

    /// Up to `n` key terms by frequency.
    pub(crate) fn top(&self, n: usize) -> Vec<String> {
        self.ranked(n, |_, count| count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sentences_are_split_as_people_read_them() {
        assert_eq!(
            sentences("Hello there. Is it 2.5 or e.g. three? Um, yes"),
            vec!["Hello there.", "Is it 2.5 or e.g.", "Three?", "Yes"]
        );
        assert_eq!(
            without_fillers("um, so the uh model works um."),
            "So the model works."
        );
        assert_eq!(words("Week's plan, don't"), vec!["week", "plan", "don't"]);
    }

    #[test]
    fn plurals_fold_and_phrases_rank_above_their_words() {
        let texts = [
            "The test script runs.",
            "Test scripts and invoices.",
            "An invoice, another invoice.",
            "The test script again.",
        ];
        let vocabulary = Terms::vocabulary(texts);
        let terms = Terms::new(texts, &vocabulary);
        assert_eq!(terms.count("invoice"), 3);
        assert_eq!(terms.count("test script"), 3);
        assert_eq!(terms.top(3), vec!["test script", "invoice", "runs"]);
        assert_eq!(terms.top_phrases(3), vec!["test script"]);
        assert_eq!(title_case("test script"), "Test Script");
    }
}
