//! MySQL's and MariaDB's fast load: `LOAD DATA LOCAL INFILE` streamed from memory through
//! mysql_async's local-infile handler as the rows are read (no file), one statement and one
//! transaction per [`STATEMENT_BYTES`] or [`STATEMENT_BATCHES`] batches (so that an
//! interrupted load has little to roll back, and its rows show as they are committed, as the
//! INSERT path's batches do). Two sessions take turns: the next statement streams while the
//! last one's tail is written and committed, so the rows never wait for a commit. The values are those the INSERT path writes, in LOAD DATA's
//! text form (tab-separated, `\N` for NULL, backslash escapes); binary, spatial and BIT values
//! travel as text and are decoded by the server (`SET col = UNHEX(@v)`), as the INSERT path's
//! `X'..'` and `b'..'` literals are. LOCAL turns the server's errors into warnings (a value cut,
//! a duplicate key skipped): any warning rolls the load back and fails it with the server's
//! words, so nothing is altered silently. Used where the server allows it (`local_infile`)
//! and the connection needs no TLS (this mysql_async is built without it); otherwise the
//! INSERT path, said once.

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use futures_util::StreamExt;
use mysql_async::prelude::Queryable;

use crate::endpoints::{Connection, TlsMode};
use crate::engines::values::Kind;
use crate::engines::write::{RowFormat, TableWriter, WriteTarget};
use crate::error::DbFailure;

type Chunk = std::io::Result<bytes::Bytes>;

/// A statement ends after this many bytes of rows...
const STATEMENT_BYTES: u64 = 32 << 20;
/// ...or this many batches.
const STATEMENT_BATCHES: u32 = 20;

/// LOAD DATA's text form of the values of columns of these kinds.
pub struct LoadFormat(Vec<Kind>);

/// Whether a column's value travels as hex text, decoded by the server.
fn hex(k: Kind) -> bool {
    matches!(k, Kind::Binary | Kind::MyGeometry | Kind::Geometry)
}

impl RowFormat for LoadFormat {
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
        let Some(v) = v else {
            buf.extend_from_slice(b"\\N");
            return Ok(());
        };
        // The writer's session is in UTC; MariaDB refuses an offset in a datetime (the offset
        // comes as the suffix, or ends the value).
        let (v, suffix) = match (self.0[i], suffix) {
            (Kind::TimestampTz, "+00") => (v, ""),
            (Kind::TimestampTz, "") => (v.strip_suffix("+00").unwrap_or(v), ""),
            _ => (v, suffix),
        };
        crate::sqltext::push_tab_field(buf, v, true);
        crate::sqltext::push_tab_field(buf, suffix, true);
        Ok(())
    }

    fn row_end(&self, buf: &mut Vec<u8>) {
        buf.push(b'\n');
    }
}

/// The statement loading `t` from the stream: hex and BIT columns through variables.
fn statement(t: &WriteTarget) -> String {
    let mut cols = vec![];
    let mut sets = vec![];
    for (i, (c, k)) in t.columns.iter().zip(&t.kinds).enumerate() {
        match k {
            k if hex(*k) => {
                cols.push(format!("@v{i}"));
                sets.push(format!("{c} = UNHEX(@v{i})"));
            }
            Kind::Bit(_) => {
                cols.push(format!("@v{i}"));
                sets.push(format!("{c} = CAST(CONV(@v{i}, 2, 10) AS UNSIGNED)"));
            }
            _ => cols.push(c.clone()),
        }
    }
    let set = if sets.is_empty() {
        String::new()
    } else {
        format!(" SET {}", sets.join(", "))
    };
    format!(
        "LOAD DATA LOCAL INFILE 'tugboat' INTO TABLE {} CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({}){set}",
        t.sql,
        cols.join(", ")
    )
}

/// Said once per process: why MySQL targets load with INSERTs.
static SAID: AtomicBool = AtomicBool::new(false);

fn fallback(conn: &Connection, why: &str) {
    if !SAID.swap(true, Ordering::Relaxed) {
        tracing::warn!(target: "tugboat::tasks", "{}: loading with multi-row INSERTs, not LOAD DATA LOCAL INFILE ({why})", conn.endpoint.label());
    }
}

/// Why `conn`'s server or connection does not take LOAD DATA LOCAL INFILE; None when it does.
pub async fn refusal(conn: &Connection) -> Option<String> {
    if !matches!(conn.endpoint.tls, TlsMode::Disable | TlsMode::Prefer) {
        return Some("the endpoint requires TLS, which Tugboat's LOAD DATA session lacks".into());
    }
    // A server that encrypts the pool's sessions (TLS preferred) keeps them encrypted.
    let ssl = conn
        .query(
            "asking whether the session is encrypted",
            "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
        )
        .await
        .ok()
        .and_then(|r| r.first().and_then(|r| r.at(1).map(str::to_string)))
        .unwrap_or_default();
    if !ssl.is_empty() {
        return Some(
            "the connection is encrypted, which Tugboat's LOAD DATA session is not".into(),
        );
    }
    match conn
        .query_scalar("reading local_infile", "SELECT @@local_infile")
        .await
    {
        Ok(Some(v)) if v == "1" => None,
        Ok(_) => Some("the server's local_infile is off".into()),
        Err(e) => Some(format!("local_infile could not be read: {e}")),
    }
}

/// A session for LOAD DATA on `conn`'s server, set up as the INSERT path's; None (said once)
/// when the server or the connection does not allow it.
async fn session(conn: &Connection) -> Option<mysql_async::Conn> {
    if let Some(why) = refusal(conn).await {
        fallback(conn, &why);
        return None;
    }
    match connect(conn).await {
        Ok(c) => Some(c),
        Err(why) => {
            fallback(conn, &why);
            None
        }
    }
}

/// A new session on `conn`'s server set up for LOAD DATA, or why not.
async fn connect(conn: &Connection) -> Result<mysql_async::Conn, String> {
    let ep = &conn.endpoint;
    let mut opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(ep.host.clone())
        .tcp_port(ep.port)
        .user(Some(ep.user.clone()))
        .pass(conn.password().map(|p| p.expose().to_string()))
        .prefer_socket(false);
    if !ep.database.is_empty() {
        opts = opts.db_name(Some(ep.database.clone()));
    }
    let mut c = mysql_async::Conn::new(opts)
        .await
        .map_err(|e| format!("a session for it: {e}"))?;
    let setup = "SET NAMES utf8mb4, time_zone = '+00:00', FOREIGN_KEY_CHECKS = 0";
    if let Err(e) = c.query_drop(setup).await {
        crate::error::logged("closing a session", c.disconnect().await);
        return Err(format!("setting its session up: {e}"));
    }
    Ok(c)
}

type Running = tokio::task::JoinHandle<Result<mysql_async::Conn, DbFailure>>;

/// One table's (or key range's) LOAD DATA, fed as its rows are encoded.
pub struct LoadData {
    /// Where a second session comes from.
    target: Connection,
    /// Sessions free for the next statement.
    idle: Vec<mysql_async::Conn>,
    /// Sessions open (at most two).
    sessions: usize,
    sql: String,
    format: LoadFormat,
    tx: Option<tokio::sync::mpsc::Sender<Chunk>>,
    /// The statement being fed.
    running: Option<Running>,
    /// The statement before it, its rows all sent, finishing and committing.
    finishing: Option<Running>,
    /// Bytes and batches the running statement has had.
    sent: (u64, u32),
}

impl LoadData {
    /// The writer of `t` on `conn`, or None when the server or the connection does not allow it.
    pub async fn open(conn: &Connection, t: &WriteTarget) -> Option<LoadData> {
        let c = session(conn).await?;
        Some(LoadData {
            target: conn.clone(),
            idle: vec![c],
            sessions: 1,
            sql: statement(t),
            format: LoadFormat(t.kinds.clone()),
            tx: None,
            running: None,
            finishing: None,
            sent: (0, 0),
        })
    }

    /// A session for the next statement: a free one, a second one opened, or the one the
    /// statement before last used once it has committed.
    async fn free_session(&mut self) -> Result<mysql_async::Conn, DbFailure> {
        if let Some(c) = self.idle.pop() {
            return Ok(c);
        }
        if self.sessions < 2 {
            match connect(&self.target).await {
                Ok(c) => {
                    self.sessions += 1;
                    return Ok(c);
                }
                Err(why) => {
                    tracing::debug!(target: "tugboat::tasks", "one LOAD DATA session only: {why}")
                }
            }
        }
        self.wait_finishing().await?;
        self.idle
            .pop()
            .ok_or_else(|| DbFailure::from("the load's session is gone"))
    }

    /// Waits for the statement finishing (committed, or rolled back with why).
    async fn wait_finishing(&mut self) -> Result<(), DbFailure> {
        if let Some(h) = self.finishing.take() {
            let c = h
                .await
                .map_err(|e| DbFailure::from(format!("the load stopped: {e}")))??;
            self.idle.push(c);
        }
        Ok(())
    }

    /// Starts the statement, its data coming from the channel.
    async fn start(&mut self) -> Result<(), DbFailure> {
        let mut c = self.free_session().await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
        c.set_infile_handler(async move {
            Ok(futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|chunk| (chunk, rx))
            })
            .boxed())
        });
        let sql = self.sql.clone();
        self.running = Some(tokio::spawn(async move {
            c.query_drop("START TRANSACTION").await.map_err(failure)?;
            if let Err(e) = c.query_drop(sql).await {
                crate::error::logged("rolling the load back", c.query_drop("ROLLBACK").await);
                return Err(failure(e));
            }
            let warnings = c.get_warnings();
            if warnings > 0 {
                let said: Vec<(String, u32, String)> =
                    c.query("SHOW WARNINGS LIMIT 3").await.unwrap_or_default();
                crate::error::logged("rolling the load back", c.query_drop("ROLLBACK").await);
                return Err(format!(
                    "the server would have altered or skipped rows ({warnings} warnings; {}); nothing of this load was kept",
                    said.iter()
                        .map(|w| format!("{} {}", w.1, w.2))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
                .into());
            }
            c.query_drop("COMMIT").await.map_err(failure)?;
            Ok(c)
        }));
        self.tx = Some(tx);
        self.sent = (0, 0);
        Ok(())
    }

    /// Ends the running statement's data: it finishes and commits while the next one streams
    /// (the one before it is waited for first: one statement at most is finishing).
    async fn end_statement(&mut self) -> Result<(), DbFailure> {
        self.tx = None;
        let Some(h) = self.running.take() else {
            return Ok(());
        };
        self.wait_finishing().await?;
        self.finishing = Some(h);
        Ok(())
    }
}

fn failure(e: mysql_async::Error) -> DbFailure {
    let cause = match &e {
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => {
            crate::error::Cause::Connection
        }
        mysql_async::Error::Server(s) if s.code == 1062 => crate::error::Cause::Duplicate,
        _ => crate::error::Cause::Statement,
    };
    DbFailure {
        message: e.to_string(),
        cause,
    }
}

#[async_trait]
impl TableWriter for LoadData {
    fn stream(&self) -> Option<&dyn RowFormat> {
        Some(&self.format)
    }

    async fn write(&mut self, _rows: &crate::engines::rows::Rows) -> Result<u64, DbFailure> {
        Err("LOAD DATA is fed row by row".into())
    }

    fn takes_lines(&self, form: crate::engines::rows::CopyForm) -> bool {
        form == crate::engines::rows::CopyForm::Text
    }

    async fn send_lines(&mut self, lines: Vec<u8>) -> Result<u64, DbFailure> {
        self.send(crate::engines::postgres::copy_text::for_load_data(lines))
            .await
    }

    async fn send(&mut self, encoded: Vec<u8>) -> Result<u64, DbFailure> {
        if self.running.is_none() {
            self.start().await?;
        }
        let bytes = encoded.len() as u64;
        let sent = match &self.tx {
            Some(tx) => tx.send(Ok(bytes::Bytes::from(encoded))).await.is_ok(),
            None => false,
        };
        if !sent {
            // The statement ended early: its error says why.
            self.end_statement().await?;
            self.wait_finishing().await?;
            return Err("the load ended before its rows were sent".into());
        }
        self.sent = (self.sent.0 + bytes, self.sent.1 + 1);
        if self.sent.0 >= STATEMENT_BYTES || self.sent.1 >= STATEMENT_BATCHES {
            self.end_statement().await?;
        }
        Ok(bytes)
    }

    async fn finish(&mut self) -> Result<(), DbFailure> {
        self.end_statement().await?;
        self.wait_finishing().await?;
        for c in self.idle.drain(..) {
            crate::error::logged("closing the load's session", c.disconnect().await);
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) {
        // An interrupted load: the stream ends with an error, the statement fails and its
        // transaction is rolled back.
        if let Some(tx) = self.tx.take() {
            crate::error::logged(
                "ending the interrupted load",
                tx.send(Err(std::io::Error::other("the load stopped")))
                    .await
                    .map_err(|_| "the load had ended"),
            );
        }
        for h in [self.running.take(), self.finishing.take()]
            .into_iter()
            .flatten()
        {
            if let Ok(Ok(c)) = h.await {
                crate::error::logged("closing the load's session", c.disconnect().await);
            }
        }
        for c in self.idle.drain(..) {
            crate::error::logged("closing the load's session", c.disconnect().await);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_load_data_reads_them() {
        let f = LoadFormat(vec![
            Kind::Text,
            Kind::TimestampTz,
            Kind::Binary,
            Kind::Integer,
        ]);
        let mut buf = vec![];
        f.value(&mut buf, 0, Some("a\tb\\c\nd\0"), "").unwrap();
        f.value(&mut buf, 1, Some("2024-01-02 03:04:05"), "+00")
            .unwrap();
        f.value(&mut buf, 2, Some("00FF"), "").unwrap();
        f.value(&mut buf, 3, None, "").unwrap();
        f.row_end(&mut buf);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a\\tb\\\\c\\nd\\0\t2024-01-02 03:04:05\t00FF\t\\N\n"
        );
        let t = WriteTarget {
            lines: None,
            commit_with: false,
            sql: "`d`.`t`".into(),
            columns: vec!["`a`".into(), "`b`".into(), "`c`".into()],
            names: vec!["a".into(), "b".into(), "c".into()],
            kinds: vec![Kind::Text, Kind::Binary, Kind::Bit(3)],
            from: vec![Kind::Text, Kind::Binary, Kind::Bit(3)],
            typed_source: true,
            shared: false,
        };
        let s = statement(&t);
        assert!(
            s.ends_with(
                "(`a`, @v1, @v2) SET `b` = UNHEX(@v1), `c` = CAST(CONV(@v2, 2, 10) AS UNSIGNED)"
            ),
            "{s}"
        );
    }
}
