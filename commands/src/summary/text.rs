//! Plain-text helpers for the offline summarizer: sentences, words without stop
//! words, and deterministic keyword ranking.

use std::collections::BTreeMap;

const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "done", "for", "from", "get", "got", "had", "has", "have", "having",
    "he", "her", "here", "hers", "him", "his", "how", "i", "i'll", "i'm", "if", "in", "into", "is",
    "it", "it's", "its", "just", "know", "let", "let's", "like", "make", "me", "more", "most",
    "my", "need", "needs", "no", "not", "now", "of", "ok", "okay", "on", "one", "only", "or",
    "other", "our", "out", "over", "really", "right", "said", "say", "see", "she", "should", "so",
    "some", "sure", "than", "that", "that's", "the", "their", "them", "then", "there", "these",
    "they", "think", "this", "those", "through", "to", "too", "up", "us", "very", "want", "was",
    "we", "we'll", "we're", "well", "were", "what", "when", "where", "which", "while", "who",
    "why", "will", "with", "would", "yeah", "yes", "you", "your", "going", "good", "thanks",
    "thank", "everyone", "morning", "hello", "hi", "go", "next", "week", "today", "tomorrow",
];

/// The sentences of a text, trimmed, punctuation kept.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '.' | '!' | '?') {
            let s = current.trim();
            if s.len() > 1 {
                out.push(s.to_owned());
            }
            current.clear();
        }
    }
    let s = current.trim();
    if !s.is_empty() {
        out.push(s.to_owned());
    }
    out
}

/// Lowercased words of at least three letters that carry meaning.
pub(crate) fn content_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// Word counts over `texts`.
pub(crate) fn frequencies<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for text in texts {
        for w in content_words(text) {
            *counts.entry(w).or_insert(0) += 1;
        }
    }
    counts
}

/// The `n` most frequent words, ties broken alphabetically.
pub(crate) fn top_words(counts: &BTreeMap<String, usize>, n: usize) -> Vec<String> {
    let mut ranked: Vec<_> = counts.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    ranked.into_iter().take(n).map(|(w, _)| w.clone()).collect()
}

/// How much a sentence says, by the frequency of its content words.
pub(crate) fn score(sentence: &str, counts: &BTreeMap<String, usize>) -> f64 {
    let words = content_words(sentence);
    if words.is_empty() {
        return 0.0;
    }
    let total: usize = words
        .iter()
        .map(|w| counts.get(w).copied().unwrap_or(0))
        .sum();
    total as f64 / (words.len() as f64).sqrt()
}

/// `word` with its first letter in upper case.
pub(crate) fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_and_words_are_split_as_people_read_them() {
        assert_eq!(
            sentences("Hello there. Is it done? Yes"),
            vec!["Hello there.", "Is it done?", "Yes"]
        );
        assert_eq!(
            content_words("We'll test the chunking script, 42 times"),
            vec!["test", "chunking", "script", "times"]
        );
        let counts = frequencies(["chunking chunking model", "model script"]);
        assert_eq!(top_words(&counts, 2), vec!["chunking", "model"]);
    }
}
