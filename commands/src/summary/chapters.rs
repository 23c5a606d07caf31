//! Where chapters start: after a pause of more than two minutes, and at topic
//! shifts, found by comparing the words of the lines before and after each point
//! (a simplified TextTiling): the point where the two sides share the least
//! vocabulary starts a new chapter when it stands out from the rest of the
//! stretch; both sides are then searched again.

use std::collections::BTreeMap;

use super::Line;
use super::text::Terms;

/// A pause longer than this starts a new chapter.
pub(crate) const PAUSE_SECS: i64 = 120;
/// Fewest lines in a chapter that starts or ends at a topic shift.
const MIN_LINES: usize = 6;
/// Lines compared on each side of a possible shift.
const WINDOW: usize = 8;
/// How far below the stretch's mean similarity (in standard deviations) a
/// point must be to count as a shift.
const DEPTH: f64 = 1.0;
/// Most similarity a shift may keep between its two sides.
const MAX_SHIFT_SIMILARITY: f64 = 0.12;

type Bag = BTreeMap<String, f64>;

fn bag<'a>(bags: impl IntoIterator<Item = &'a Bag>) -> Bag {
    let mut sum = Bag::new();
    for b in bags {
        for (w, c) in b {
            *sum.entry(w.clone()).or_insert(0.0) += c;
        }
    }
    sum
}

fn cosine(a: &Bag, b: &Bag) -> f64 {
    let dot: f64 = a.iter().filter_map(|(w, x)| b.get(w).map(|y| x * y)).sum();
    let norm = |v: &Bag| v.values().map(|x| x * x).sum::<f64>().sqrt();
    let n = norm(a) * norm(b);
    if n == 0.0 { 0.0 } else { dot / n }
}

/// Topic shifts in `lines[from..to]`, appended to `starts`.
fn shifts(bags: &[Bag], from: usize, to: usize, starts: &mut Vec<usize>) {
    if to - from < 2 * MIN_LINES {
        return;
    }
    let sims: Vec<(usize, f64)> = (from + MIN_LINES..=to - MIN_LINES)
        .map(|i| {
            let before = bag(&bags[i.saturating_sub(WINDOW).max(from)..i]);
            let after = bag(&bags[i..(i + WINDOW).min(to)]);
            (i, cosine(&before, &after))
        })
        .collect();
    let n = sims.len() as f64;
    let mean = sims.iter().map(|(_, s)| s).sum::<f64>() / n;
    let sd = (sims.iter().map(|(_, s)| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    let Some(&(at, lowest)) = sims
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
    else {
        return;
    };
    if lowest <= MAX_SHIFT_SIMILARITY && lowest < mean - DEPTH * sd {
        shifts(bags, from, at, starts);
        starts.push(at);
        shifts(bags, at, to, starts);
    }
}

/// Indexes of the lines that start chapters, ascending, starting with 0 (for
/// non-empty input).
pub(crate) fn chapter_starts(lines: &[Line<'_>], terms: &Terms) -> Vec<usize> {
    if lines.is_empty() {
        return vec![];
    }
    let bags: Vec<Bag> = lines
        .iter()
        .map(|l| {
            let mut b = Bag::new();
            for w in terms.content_words(l.text) {
                *b.entry(w).or_insert(0.0) += 1.0;
            }
            b
        })
        .collect();
    let mut pauses = vec![0];
    pauses.extend((1..lines.len()).filter(|&i| lines[i].offset - lines[i - 1].offset > PAUSE_SECS));
    pauses.push(lines.len());
    let mut starts = Vec::new();
    for stretch in pauses.windows(2) {
        starts.push(stretch[0]);
        shifts(&bags, stretch[0], stretch[1], &mut starts);
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[(i64, &'static str)]) -> Vec<Line<'static>> {
        texts
            .iter()
            .map(|&(offset, text)| Line {
                offset,
                speaker: "A",
                text,
            })
            .collect()
    }

    #[test]
    fn pauses_and_topic_shifts_start_chapters() {
        let mut texts = Vec::new();
        for i in 0..10 {
            texts.push((i * 20, "chunking pauses captions latency"));
        }
        for i in 10..20 {
            texts.push((i * 20, "invoice billing dashboard currency"));
        }
        texts.push((20 * 20 + 121, "invoice billing dashboard currency"));
        let lines = lines(&texts);
        let terms = Terms::new(texts.iter().map(|t| t.1), &Terms::default());
        assert_eq!(chapter_starts(&lines, &terms), vec![0, 10, 20]);
        assert_eq!(chapter_starts(&lines[..5], &terms), vec![0]);
        assert!(chapter_starts(&[], &terms).is_empty());
    }
}
