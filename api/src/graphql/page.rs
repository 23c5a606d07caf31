//! Cursor pagination for every list: `first` (1 to [`MAX_FIRST`], default
//! [`DEFAULT_FIRST`]) and `after`, the `cursor` of an edge or `pageInfo.endCursor`
//! of an earlier page. Cursors are opaque to clients; they carry the offset into
//! the list's fixed order (newest first, ties by id).

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Error;

/// Page size when `first` is not given.
pub const DEFAULT_FIRST: i32 = 20;
/// Largest page.
pub const MAX_FIRST: i32 = 100;

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows wanted.
    pub first: i64,
    /// Rows skipped.
    pub offset: i64,
}

impl Page {
    /// Checks `first` and decodes `after`; a `BAD_USER_INPUT` names the argument.
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self, Error> {
        let first = first.unwrap_or(DEFAULT_FIRST);
        if !(1..=MAX_FIRST).contains(&first) {
            return Err(Error::invalid(
                "first",
                format!("must be between 1 and {MAX_FIRST}"),
            ));
        }
        let offset = match after {
            None => 0,
            Some(cursor) => decode(cursor)
                .ok_or_else(|| Error::invalid("after", "is not a cursor of this list"))?,
        };
        Ok(Self {
            first: i64::from(first),
            offset,
        })
    }

    /// Rows to fetch: one more than wanted, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.first + 1
    }

    /// The connection over rows fetched with [`Page::fetch`].
    pub fn connection<T: OutputType>(&self, mut rows: Vec<T>) -> Connection<String, T> {
        let more = rows.len() as i64 > self.first;
        rows.truncate(self.first as usize);
        let mut connection = Connection::new(self.offset > 0, more);
        connection.edges.extend(
            rows.into_iter()
                .enumerate()
                .map(|(i, node)| Edge::new(encode(self.offset + i as i64 + 1), node)),
        );
        connection
    }
}

/// The cost a list field adds to a query's complexity: its page times its selection.
pub fn complexity(first: Option<i32>, child: usize) -> usize {
    (first.unwrap_or(DEFAULT_FIRST).clamp(1, MAX_FIRST) as usize).saturating_mul(child.max(1))
}

fn encode(offset: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("offset:")?
        .parse()
        .ok()
        .filter(|o: &i64| *o >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_continues_after_its_row() {
        let page = Page::new(Some(2), None).unwrap();
        let connection = page.connection(vec![1, 2, 3]);
        assert!(connection.has_next_page);
        assert_eq!(connection.edges.len(), 2);
        let next = Page::new(Some(2), Some(&connection.edges[1].cursor)).unwrap();
        assert_eq!(next.offset, 2);
    }

    #[test]
    fn bad_arguments_are_named() {
        for (first, after, field) in [
            (Some(0), None, "first"),
            (Some(101), None, "first"),
            (None, Some("zz!"), "after"),
        ] {
            match Page::new(first, after) {
                Err(Error::Validation(errors)) => assert_eq!(errors[0].field, field),
                other => panic!("{other:?}"),
            }
        }
    }
}
