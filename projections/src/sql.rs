//! Small builders for the statements projections write per batch.

/// `$first, $first+1, …` for `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $cols), ($cols+1, …)` for `rows` rows of `cols` values.
pub(crate) fn row_placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per multi-row statement: well under both dialects' parameter limits.
pub const ROWS_PER_STATEMENT: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(row_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}

/// A value bound into a multi-row statement.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    MaybeInt(Option<i64>),
}

/// Loads rows of `table` whose `id` is in `ids`.
pub(crate) async fn load_by_ids<T>(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &str,
    ids: &[String],
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, T>(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        out.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Rows of `sql` for a batch of keys: `{in}` in `sql` becomes the keys'
/// placeholders, one statement per [`ROWS_PER_STATEMENT`] keys. Batched readers
/// (GraphQL's nested lists) use it to answer many parents in one query.
pub(crate) async fn fetch_in<T>(
    pool: &sqlx::AnyPool,
    sql: &str,
    keys: &[String],
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let sql = sql.replace("{in}", &placeholders(1, chunk.len()));
        let mut query = sqlx::query_as::<_, T>(&sql);
        for key in chunk {
            query = query.bind(key);
        }
        out.extend(query.fetch_all(pool).await?);
    }
    Ok(out)
}

/// Writes `rows` (values in `columns` order, `id` first) with one statement per
/// chunk, replacing existing rows with the same id.
pub(crate) async fn upsert(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Cell>>,
) -> Result<(), sqlx::Error> {
    let updates = columns
        .iter()
        .skip(1)
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {} ON CONFLICT (id) DO UPDATE SET {updates}",
            columns.join(", "),
            row_placeholders(chunk.len(), columns.len())
        );
        let mut query = sqlx::query(&sql);
        for cell in chunk.iter().flatten() {
            query = match cell.clone() {
                Cell::Text(v) => query.bind(v),
                Cell::MaybeText(v) => query.bind(v),
                Cell::Int(v) => query.bind(v),
                Cell::MaybeInt(v) => query.bind(v),
            };
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes the rows of `table` whose `id` is in `ids`.
pub(crate) async fn delete_by_ids(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    ids: &[String],
) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "DELETE FROM {table} WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Applies the last word of a batch per row id: `Some(values)` is written (see
/// [`upsert`]), `None` deletes the row.
pub(crate) async fn write_or_delete(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    rows: std::collections::BTreeMap<String, Option<Vec<Cell>>>,
) -> Result<(), sqlx::Error> {
    let mut removed = Vec::new();
    let mut written = Vec::new();
    for (id, row) in rows {
        match row {
            Some(values) => written.push(values),
            None => removed.push(id),
        }
    }
    delete_by_ids(conn, table, &removed).await?;
    upsert(conn, table, columns, written).await
}
