//! PostgreSQL's side of a full load: COPY, either one per batch (each batch its own
//! transaction, so refused rows can be found) or one for the whole table fed batch by batch,
//! in binary format when every column's type allows ([`copy_binary`]), in text otherwise; and
//! the session replication applies changes on (`session_replication_role = replica`).

use async_trait::async_trait;
use sqlx::postgres::{PgCopyIn, PgPoolCopyExt};

use super::Postgres;
use super::copy_binary::{self, BinType};
use super::tx_copy::TxCopy;
use crate::endpoints::connect::Pool;
use crate::endpoints::session::Session;
use crate::endpoints::{Connection, Engine};
use crate::engines::rows::{CopyForm, Rows};
use crate::engines::values::{Kind, text_literal};
use crate::engines::write::{RowFormat, TableWriter, Write, WriteTarget};
use crate::error::DbFailure;

type PooledCopy = PgCopyIn<sqlx::pool::PoolConnection<sqlx::Postgres>>;

/// A pool of its own for loading `table`, whose sessions neither fire triggers nor check
/// foreign keys (`session_replication_role = replica`, as replication applies changes): for a
/// table several tasks write, whose foreign keys one of them may have created while this
/// task's parent and child rows still arrive in any order. None (said in the log) when the
/// server refuses the setting, which takes a superuser.
async fn unchecked_pool(
    conn: &Connection,
    pool: &sqlx::PgPool,
    table: &str,
) -> Option<sqlx::PgPool> {
    let options = (*pool.connect_options())
        .clone()
        .options([("session_replication_role", "replica")]);
    match sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
    {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(target: "tugboat::tasks", "{}: loading {table} with its foreign keys checked ({e}): rows of a child table loaded before their parent's are refused; connect as a superuser, or load the sources one after the other", conn.endpoint.label());
            None
        }
    }
}

#[async_trait]
impl Write for Postgres {
    async fn table_writer(
        &self,
        conn: &Connection,
        table: WriteTarget,
        per_batch: bool,
    ) -> Result<Box<dyn TableWriter>, DbFailure> {
        let Pool::Postgres(pool) = &conn.pool else {
            return Err("not a PostgreSQL connection".into());
        };
        let unchecked = if table.shared {
            unchecked_pool(conn, pool, &table.sql).await
        } else {
            None
        };
        let pool = unchecked.as_ref().unwrap_or(pool);
        if per_batch {
            return Ok(Box::new(CopyPerBatch {
                pool: pool.clone(),
                table,
            }));
        }
        let types = match table.lines {
            // The source's COPY rows, as they come.
            Some(_) => None,
            None => binary_types(pool, &table).await,
        };
        let (format, binary): (Box<dyn RowFormat>, bool) = match types {
            Some(types) => (Box::new(Binary(types)), true),
            None => (
                Box::new(Text(table.kinds.clone())),
                table.lines == Some(CopyForm::Binary),
            ),
        };
        Ok(Box::new(CopyStream {
            pool: pool.clone(),
            table,
            copy: None,
            format,
            binary,
        }))
    }

    async fn apply_session(
        &self,
        conn: &Connection,
    ) -> Result<(Session, Option<String>), DbFailure> {
        let mut s = conn.pool.session().await?;
        // Replicated changes are the source's own effects: the target's triggers (converted
        // from the source's, which already ran there) and foreign keys must not act on them
        // again (DMS does the same). The connection never goes back to the pool with this
        // setting.
        s.close_on_drop();
        let warning = s
            .execute("SET session_replication_role = replica")
            .await
            .err()
            .map(|e| {
                format!(
                    "{}: cannot set session_replication_role ({e}): the target's triggers and foreign keys act on replicated changes; connect as a superuser, or disable the triggers until cut-over",
                    conn.endpoint.label()
                )
            });
        Ok((s, warning))
    }

    async fn key_after_load(
        &self,
        conn: &Connection,
        table: &str,
        key_sql: &str,
    ) -> crate::error::Result<bool> {
        let has = conn
            .query_scalar(
                &format!("looking for the primary key of {table}"),
                &format!(
                    "SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass({}) AND contype = 'p'",
                    text_literal(Engine::Postgres, table)
                ),
            )
            .await?;
        if has.as_deref() != Some("0") {
            return Ok(false);
        }
        // An in-memory sort where the server can afford it: TPC-H lineitem's key in 3.5 s
        // instead of 4.4 s with the default 64 MB.
        let sql = format!("SET LOCAL maintenance_work_mem = '256MB'; {key_sql}");
        conn.execute(&sql).await.map_err(|e| {
            crate::error::Error::query(
                conn.endpoint.label(),
                format!("building the primary key of {table}"),
                &e,
            )
        })?;
        Ok(true)
    }

    fn keyless_equals(&self) -> &'static str {
        " IS NOT DISTINCT FROM "
    }

    fn one_row(&self, table: &str, filter: &str) -> String {
        format!("ctid = (SELECT ctid FROM {table} WHERE {filter} LIMIT 1)")
    }
}

/// The COPY statement that loads `t`'s columns, in text or binary format.
fn copy_sql(t: &WriteTarget, binary: bool) -> String {
    let format = if binary { " (FORMAT binary)" } else { "" };
    format!(
        "COPY {} ({}) FROM STDIN{format}",
        t.sql,
        t.columns.join(", ")
    )
}

/// How each column of `t` is encoded in COPY's binary format, when every one of them can be
/// ([`BinType::for_column`], from the target table's column types); None: COPY text.
/// `TUGBOAT_PG_COPY=text` in the environment asks for text (to compare the two).
async fn binary_types(pool: &sqlx::PgPool, t: &WriteTarget) -> Option<Vec<BinType>> {
    if std::env::var("TUGBOAT_PG_COPY").is_ok_and(|v| v == "text") {
        return None;
    }
    let columns = copy_binary::column_types(pool, &t.sql).await.ok()?;
    let types: Vec<Option<BinType>> = (0..t.names.len())
        .map(|i| {
            let c = columns.iter().find(|c| c.name == t.names[i])?;
            let kinds = (t.from.get(i).copied()?, t.kinds[i]);
            BinType::for_column((c.oid, c.typmod), c.is_enum, kinds, t.typed_source)
        })
        .collect();
    if let Some(i) = types.iter().position(Option::is_none) {
        tracing::debug!(target: "tugboat::tasks", "{}: COPY in text: column {} ({:?} values) has no binary encoding here", t.sql, t.names[i], t.kinds[i]);
    }
    types.into_iter().collect()
}

/// One COPY per batch, each its own transaction.
struct CopyPerBatch {
    pool: sqlx::PgPool,
    table: WriteTarget,
}

#[async_trait]
impl TableWriter for CopyPerBatch {
    fn stream(&self) -> Option<&dyn RowFormat> {
        None
    }

    async fn write(&mut self, rows: &Rows) -> Result<u64, DbFailure> {
        let kinds = &self.table.kinds;
        let mut buf = Vec::with_capacity(rows.bytes() + rows.len() * kinds.len() * 2);
        for r in 0..rows.len() {
            for (i, v) in rows.row(r).enumerate() {
                if i > 0 {
                    buf.push(b'\t');
                }
                copy_field(v, kinds[i], &mut buf);
            }
            buf.push(b'\n');
        }
        let bytes = buf.len() as u64;
        let mut copy = self.pool.copy_in_raw(&copy_sql(&self.table, false)).await?;
        if let Err(e) = copy.send(buf).await {
            return Err(e.into());
        }
        copy.finish().await?;
        Ok(bytes)
    }

    async fn close(self: Box<Self>) {}
}

/// One COPY for the whole table, fed batch by batch: no commit per batch.
struct CopyStream {
    pool: sqlx::PgPool,
    table: WriteTarget,
    copy: Option<Copying>,
    format: Box<dyn RowFormat>,
    /// In COPY's binary format (a header and a trailer around the rows).
    binary: bool,
}

/// The COPY under way: a statement of its own, or in a transaction that a statement ends
/// ([`WriteTarget::commit_with`]).
enum Copying {
    Alone(PooledCopy),
    InTransaction(TxCopy),
}

impl Copying {
    async fn send(&mut self, data: Vec<u8>) -> Result<(), DbFailure> {
        match self {
            Copying::Alone(c) => {
                c.send(data).await?;
            }
            Copying::InTransaction(c) => c.send(data).await?,
        }
        Ok(())
    }
}

#[async_trait]
impl TableWriter for CopyStream {
    fn stream(&self) -> Option<&dyn RowFormat> {
        Some(self.format.as_ref())
    }

    async fn write(&mut self, _rows: &Rows) -> Result<u64, DbFailure> {
        Err("the streaming COPY is fed row by row".into())
    }

    async fn send(&mut self, encoded: Vec<u8>) -> Result<u64, DbFailure> {
        let bytes = encoded.len() as u64;
        let c = match &mut self.copy {
            Some(c) => c,
            None => {
                let sql = copy_sql(&self.table, self.binary);
                let mut c = if self.table.commit_with {
                    Copying::InTransaction(TxCopy::start(&self.pool, sql))
                } else {
                    Copying::Alone(self.pool.copy_in_raw(&sql).await?)
                };
                if self.binary {
                    c.send(copy_binary::HEADER.to_vec()).await?;
                }
                self.copy.insert(c)
            }
        };
        c.send(encoded).await?;
        Ok(bytes)
    }

    fn takes_lines(&self, form: CopyForm) -> bool {
        self.table.lines == Some(form)
    }

    async fn send_lines(&mut self, lines: Vec<u8>) -> Result<u64, DbFailure> {
        self.send(lines).await
    }

    async fn finish(&mut self) -> Result<(), DbFailure> {
        self.finish_with(String::new()).await
    }

    async fn finish_with(&mut self, statement: String) -> Result<(), DbFailure> {
        let Some(mut c) = self.copy.take() else {
            // No rows: the statement alone.
            if !statement.is_empty() {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                    .execute(&self.pool)
                    .await?;
            }
            return Ok(());
        };
        if self.binary {
            c.send(copy_binary::TRAILER.to_vec()).await?;
        }
        match c {
            Copying::Alone(c) if statement.is_empty() => {
                c.finish().await?;
            }
            Copying::InTransaction(c) => c.commit(statement).await?,
            Copying::Alone(c) => {
                crate::error::logged("ending the COPY", c.abort("not committed").await);
                return Err("this COPY commits its rows alone".into());
            }
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        match self.copy.take() {
            Some(Copying::Alone(c)) => {
                crate::error::logged(
                    "ending the interrupted COPY",
                    c.abort("the load stopped").await,
                );
            }
            Some(Copying::InTransaction(c)) => c.abort().await,
            None => {}
        }
    }
}

/// COPY's text format: tab-separated fields, `\N` for NULL.
struct Text(Vec<Kind>);

impl RowFormat for Text {
    fn row_start(&self, _buf: &mut Vec<u8>, _width: usize) {}

    fn value(
        &self,
        buf: &mut Vec<u8>,
        i: usize,
        v: Option<&str>,
        suffix: &str,
    ) -> Result<(), String> {
        if i > 0 {
            buf.push(b'\t');
        }
        copy_field(v, self.0[i], buf);
        if v.is_some() {
            buf.extend_from_slice(suffix.as_bytes());
        }
        Ok(())
    }

    fn row_end(&self, buf: &mut Vec<u8>) {
        buf.push(b'\n');
    }
}

/// COPY's binary format, column `i` encoded as `self.0[i]`.
struct Binary(Vec<BinType>);

impl RowFormat for Binary {
    fn row_start(&self, buf: &mut Vec<u8>, _width: usize) {
        copy_binary::push_row_head(buf, self.0.len());
    }

    fn value(
        &self,
        buf: &mut Vec<u8>,
        i: usize,
        v: Option<&str>,
        suffix: &str,
    ) -> Result<(), String> {
        match v {
            None => {
                copy_binary::push_null(buf);
                Ok(())
            }
            Some(v) if suffix.is_empty() => copy_binary::push_value(buf, self.0[i], v),
            // (A time in UTC: what a timestamp's encoding takes a value without a zone for.)
            Some(v) if suffix == "+00" && self.0[i] == BinType::Timestamp => {
                copy_binary::push_value(buf, self.0[i], v)
            }
            Some(v) => copy_binary::push_value(buf, self.0[i], &format!("{v}{suffix}")),
        }
    }

    fn row_end(&self, _buf: &mut Vec<u8>) {}

    fn stored_tuples(&self, key: usize) -> Option<Vec<usize>> {
        // (jsonb is sent as text and given back in its own normal form: compared in ours.)
        matches!(
            self.0.get(key),
            Some(BinType::Int2 | BinType::Int4 | BinType::Int8)
        )
        .then(|| {
            (0..self.0.len())
                .filter(|&i| self.0[i] == BinType::Jsonb)
                .collect()
        })
    }
}

/// A field of PostgreSQL's COPY text format (`\N` for NULL, backslash escapes).
pub fn copy_field(v: Option<&str>, k: Kind, out: &mut Vec<u8>) {
    let Some(v) = v else {
        out.extend_from_slice(b"\\N");
        return;
    };
    if k == Kind::Binary {
        out.extend_from_slice(b"\\\\x");
        out.extend_from_slice(v.as_bytes());
        return;
    }
    // Escaped whatever the column's kind: a SQLite INTEGER column can hold any text.
    crate::sqltext::push_tab_field(out, v, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: Option<&str>, k: Kind) -> String {
        let mut s = vec![];
        copy_field(v, k, &mut s);
        String::from_utf8(s).expect("COPY text stays UTF-8")
    }

    #[test]
    fn copy_fields_escape_what_copy_reads() {
        assert_eq!(field(Some("a\tb\\c\nd"), Kind::Text), "a\\tb\\\\c\\nd");
        assert_eq!(field(Some("00ff"), Kind::Binary), "\\\\x00ff");
        assert_eq!(field(None, Kind::Text), "\\N");
        assert_eq!(
            field(Some("\\N"), Kind::Integer),
            "\\\\N",
            "a backslash is escaped in any column"
        );
        assert_eq!(field(Some("plain 🚢 text"), Kind::Text), "plain 🚢 text");
    }

    #[test]
    fn text_rows_are_tab_separated_lines_with_suffixes_after_the_value() {
        let f = Text(vec![Kind::Integer, Kind::Text, Kind::Timestamp]);
        let mut buf = vec![];
        f.row_start(&mut buf, 3);
        f.value(&mut buf, 0, Some("1"), "").expect("integer");
        f.value(&mut buf, 1, None, "").expect("null");
        f.value(&mut buf, 2, Some("2024-01-02 03:04:05"), "+00")
            .expect("timestamp");
        f.row_end(&mut buf);
        assert_eq!(buf, b"1\t\\N\t2024-01-02 03:04:05+00\n");
    }
}
