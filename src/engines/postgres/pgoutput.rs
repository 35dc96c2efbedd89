//! PostgreSQL capture: logical decoding through a replication slot with the built-in `pgoutput`
//! plugin and a publication of the task's tables, read with the SQL functions on the slot
//! (`pg_logical_slot_peek_binary_changes`, then `pg_replication_slot_advance` once the target
//! has committed what was read), so sqlx is enough and the slot only moves past what the target
//! holds. Values arrive in PostgreSQL's text output, read in a session set to UTC and ISO dates,
//! and are brought to the full load's canonical text ([`crate::engines::values::select_sql`]).
//! The slot (`tugboat_<task>`) and the publication are created with the task and dropped by
//! [`drop_slot`].

use std::collections::HashMap;
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::sync::mpsc;

use crate::endpoints::Connection;
use crate::endpoints::connect::Pool;
use crate::engines::change::TableMeta;
use crate::engines::change::{Captured, Change, Op, Position, Txn, query_error};
use crate::engines::values::{Kind, quote, text_literal};
use crate::error::Result;
mod decode;
pub use decode::*;

/// Transactions read per call of the slot function (it stops at the first commit after this
/// many changes).
const PEEK_CHANGES: i64 = 50_000;

/// The slot and publication name of a task: `tugboat_` and the task name's letters and digits.
pub fn slot_name(task: &str) -> String {
    let clean: String = task
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(50)
        .collect();
    format!("tugboat_{clean}")
}

/// Creates the task's publication (for `tables`, `schema.table`) and slot unless they exist;
/// returns the slot's position (where its changes begin) and whether it was created now.
pub async fn ensure_slot(
    conn: &Connection,
    task: &str,
    tables: &[String],
) -> Result<(Position, bool)> {
    let slot = slot_name(task);
    let lit = |s: &str| text_literal(conn.endpoint.engine, s);
    let list: Vec<String> = tables
        .iter()
        .map(|t| match t.split_once('.') {
            Some((s, n)) => format!(
                "{}.{}",
                quote(conn.endpoint.engine, s),
                quote(conn.endpoint.engine, n)
            ),
            None => quote(conn.endpoint.engine, t),
        })
        .collect();
    let has_pub = conn
        .query_scalar(
            "looking for the task's publication",
            &format!(
                "SELECT count(*) FROM pg_publication WHERE pubname = {}",
                lit(&slot)
            ),
        )
        .await?;
    if has_pub.as_deref() == Some("0") {
        conn.query(
            &format!("creating publication {slot}"),
            &format!("CREATE PUBLICATION {slot} FOR TABLE {}", list.join(", ")),
        )
        .await?;
    } else {
        conn.query(
            &format!("updating publication {slot}"),
            &format!("ALTER PUBLICATION {slot} SET TABLE {}", list.join(", ")),
        )
        .await?;
    }
    let at = conn
        .query_scalar(
            "looking for the task's replication slot",
            &format!(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = {}",
                lit(&slot)
            ),
        )
        .await?;
    let (lsn, created) = match at {
        Some(l) => (l, false),
        None => {
            // One statement alone: the slot cannot be created inside a transaction block.
            let l = conn
                .query_scalar(
                    &format!("creating replication slot {slot}"),
                    &format!(
                        "SELECT lsn::text FROM pg_create_logical_replication_slot({}, 'pgoutput')",
                        lit(&slot)
                    ),
                )
                .await?
                .unwrap_or_default();
            (l, true)
        }
    };
    let p = Position::parse(&lsn).ok_or_else(|| {
        query_error(
            conn,
            "reading the slot's position",
            format!("{lsn:?} is not an LSN"),
        )
    })?;
    Ok((p, created))
}

/// The WAL position now (where the full load ended).
pub async fn current_position(conn: &Connection) -> Result<Position> {
    let l = conn
        .query_scalar(
            "reading the WAL position",
            "SELECT pg_current_wal_lsn()::text",
        )
        .await?
        .unwrap_or_default();
    Position::parse(&l).ok_or_else(|| {
        query_error(
            conn,
            "reading the WAL position",
            format!("{l:?} is not an LSN"),
        )
    })
}

/// None when the task's slot is there; else why the capture cannot resume.
pub async fn still_there(conn: &Connection, task: &str) -> Result<Option<String>> {
    let slot = slot_name(task);
    let n = conn
        .query_scalar(
            "looking for the task's replication slot",
            &format!(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = {}",
                text_literal(conn.endpoint.engine, &slot)
            ),
        )
        .await?;
    Ok((n.as_deref() == Some("0")).then(|| {
        format!(
            "the replication slot {slot} of this task is gone (dropped), so the changes since the task's checkpoint are lost to replication. Reload the task (full load and CDC again, which creates the slot anew)"
        )
    }))
}

/// Drops the task's slot and publication (the task is deleted or reloaded), so the source no
/// longer keeps WAL for it.
pub async fn drop_slot(conn: &Connection, task: &str) -> Result<()> {
    drop_slot_named(conn, &slot_name(task)).await
}

/// Drops the replication slot `slot` and the publication of the same name (Tugboat's pair).
/// A slot still held by a reader that has just stopped (its server session ends a moment after
/// the client) is waited for, 5 s at most.
pub async fn drop_slot_named(conn: &Connection, slot: &str) -> Result<()> {
    let lit = text_literal(conn.endpoint.engine, slot);
    let context = format!("dropping replication slot {slot}");
    let waited = std::time::Instant::now();
    loop {
        let holder = conn
            .query(
                &context,
                &format!(
                    "SELECT coalesce(active_pid::text, '') FROM pg_replication_slots WHERE slot_name = {lit}"
                ),
            )
            .await?;
        let Some(pid) = holder.first().and_then(|r| r.at(0)).map(str::to_string) else {
            break;
        };
        if pid.is_empty() {
            conn.query(
                &context,
                &format!(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = {lit} AND NOT active"
                ),
            )
            .await?;
            continue;
        }
        if waited.elapsed() > Duration::from_secs(5) {
            return Err(query_error(
                conn,
                &context,
                format!(
                    "the slot is in use by server process {pid}: stop the task reading it first"
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    conn.query(
        &format!("dropping publication {slot}"),
        &format!(
            "DROP PUBLICATION IF EXISTS {}",
            crate::engines::values::quote(conn.endpoint.engine, slot)
        ),
    )
    .await?;
    Ok(())
}

/// A replication slot of a PostgreSQL server, and the WAL it makes the server keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    pub name: String,
    /// The output plugin (`pgoutput` for Tugboat's); empty for a physical slot.
    pub plugin: String,
    /// A reader is connected to it now.
    pub active: bool,
    /// What its reader has confirmed (LSN), when it has.
    pub confirmed: String,
    /// WAL kept for it: from its restart position to the server's position now.
    pub wal_held_bytes: Option<i64>,
}

impl SlotInfo {
    /// One of Tugboat's (a task's: `tugboat_<task>`).
    pub fn is_tugboat(&self) -> bool {
        self.name.starts_with("tugboat_")
    }

    /// The WAL it holds, readable (`12.5 MiB`), or `-` when unknown.
    pub fn wal_held(&self) -> String {
        self.wal_held_bytes
            .map(crate::units::human_bytes)
            .unwrap_or_else(|| "-".into())
    }
}

/// Every replication slot of the server, by name.
pub async fn slots(conn: &Connection) -> Result<Vec<SlotInfo>> {
    let rows = conn
        .query(
            "listing replication slots",
            "SELECT slot_name, coalesce(plugin, ''), active::text, coalesce(confirmed_flush_lsn::text, ''), pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text FROM pg_replication_slots ORDER BY 1",
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| SlotInfo {
            name: r.at(0).unwrap_or("").to_string(),
            plugin: r.at(1).unwrap_or("").to_string(),
            active: r.at(2) == Some("true"),
            confirmed: r.at(3).unwrap_or("").to_string(),
            wal_held_bytes: r.at(4).and_then(|v| v.parse().ok()),
        })
        .collect())
}

/// Reads the slot's changes after `from` for `tables` (keyed by lower-case `schema.table`) and
/// sends each transaction to `tx`. `confirmed` carries the positions the target has committed:
/// the slot is advanced to them, so it keeps WAL for what is not yet applied and nothing else.
/// `ahead`: read ahead of what the target confirms (while a full load runs, the checkpoint
/// stays at its start for a long time): through a temporary copy of the slot that moves as it
/// is read, so nothing is decoded twice, while the task's slot stays at the checkpoint.
pub async fn capture(
    conn: &Connection,
    task: &str,
    from: Position,
    tables: HashMap<String, TableMeta>,
    tx: crate::engines::change::Feed,
    mut confirmed: mpsc::UnboundedReceiver<Position>,
    ahead: bool,
) {
    if let Err(e) = read_slot(conn, task, from, &tables, &tx, &mut confirmed, ahead).await {
        // (The applier is gone: it stopped first, and says why.)
        if tx.send(Captured::Failed(e)).await.is_err() {
            tracing::debug!(target: "tugboat::cdc", "the capture failed after the applier stopped");
        }
    }
}

/// The name of the server session reading `slot` in this process, as `pg_stat_activity`
/// shows it to a DBA (63 bytes at most, as PostgreSQL keeps it).
fn reader_name(slot: &str) -> String {
    let mut name = format!("tugboat {} {slot}", std::process::id());
    name.truncate(63);
    name
}

/// The server process of each slot's reader in this process, by slot: what [`release`]
/// cancels (that process only, and only while it holds the slot or its copy).
static READERS: std::sync::LazyLock<std::sync::Mutex<HashMap<String, i32>>> =
    std::sync::LazyLock::new(Default::default);

fn readers() -> std::sync::MutexGuard<'static, HashMap<String, i32>> {
    READERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Lets go of `task`'s slot once its capture was stopped: the slot function its server
/// session may still be running (a peek goes on until it next writes to its client) is
/// cancelled, the slot waited for (5 s at most) and moved to `at`, the target's checkpoint, so
/// that it holds no WAL the target has and the next run, or `drop-task`, finds it free.
pub async fn release(conn: &Connection, task: &str, at: &Position) {
    let slot = slot_name(task);
    match tokio::time::timeout(Duration::from_secs(8), release_slot(conn, &slot, at)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(target: "tugboat::cdc", "slot {slot} not released: {e}"),
        Err(_) => tracing::warn!(target: "tugboat::cdc", "slot {slot} not released in 8 s"),
    }
}

async fn release_slot(conn: &Connection, slot: &str, at: &Position) -> Result<()> {
    let lit = |s: &str| text_literal(conn.endpoint.engine, s);
    let context = format!("releasing replication slot {slot}");
    // The slot function its reader's session may still run (a cancel that comes before the
    // query starts is lost: sent again until the slot is free). Only this process's reader,
    // and only while it holds the slot or a copy of it.
    let reader = readers().get(slot).copied();
    let cancel = reader.map(|pid| {
        format!(
            "SELECT pg_cancel_backend(active_pid) FROM pg_replication_slots WHERE active_pid = {pid} AND (slot_name = {} OR slot_name LIKE {})",
            lit(slot),
            lit(&format!("{}%", &slot[..slot.len().min(40)]))
        )
    });
    let waited = std::time::Instant::now();
    let busy = format!(
        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = {} AND active",
        lit(slot)
    );
    loop {
        if let Some(sql) = &cancel {
            conn.query(&context, sql).await?;
        }
        if conn.query_scalar(&context, &busy).await?.as_deref() == Some("0") {
            break;
        }
        if waited.elapsed() > Duration::from_secs(5) {
            return Err(query_error(conn, &context, "still in use after 5 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Position::Lsn(_) = at {
        conn.query(
            &context,
            &format!(
                "SELECT pg_replication_slot_advance(slot_name, {at_lit}::pg_lsn) FROM pg_replication_slots WHERE slot_name = {} AND NOT active AND confirmed_flush_lsn < {at_lit}::pg_lsn",
                lit(slot),
                at_lit = lit(&at.to_string())
            ),
        )
        .await?;
    }
    Ok(())
}

async fn read_slot(
    conn: &Connection,
    task: &str,
    from: Position,
    tables: &HashMap<String, TableMeta>,
    tx: &crate::engines::change::Feed,
    confirmed: &mut mpsc::UnboundedReceiver<Position>,
    ahead: bool,
) -> std::result::Result<(), String> {
    let Pool::Postgres(pool) = &conn.pool else {
        return Err("not a PostgreSQL source".into());
    };
    let Position::Lsn(mut after) = from else {
        return Err(format!("{from} is not a WAL position (LSN)"));
    };
    let slot = slot_name(task);
    let mut c = pool
        .acquire()
        .await
        .map_err(|e| format!("connecting to read slot {slot}: {e}"))?;
    // Never back in the pool: its session is named for `release` to find.
    c.close_on_drop();
    // The values' text as the full load reads it.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET bytea_output = 'hex'; SET extra_float_digits = 1; SET application_name = {}",
        text_literal(crate::endpoints::Engine::Postgres, &reader_name(&slot))
    )))
    .execute(&mut *c)
    .await
    .map_err(|e| format!("setting up the session reading slot {slot}: {e}"))?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *c)
        .await
        .map_err(|e| format!("setting up the session reading slot {slot}: {e}"))?;
    readers().insert(slot.clone(), pid);
    let slot_lit = text_literal(crate::endpoints::Engine::Postgres, &slot);
    // Whatever the target committed before this run is behind us.
    let advance = |lsn: u64| {
        format!(
            "SELECT pg_replication_slot_advance({slot_lit}, '{}'::pg_lsn) WHERE '{}'::pg_lsn > (SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = {slot_lit})",
            Position::Lsn(lsn),
            Position::Lsn(lsn)
        )
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(advance(after)))
        .execute(&mut *c)
        .await
        .map_err(|e| format!("moving slot {slot} to the task's checkpoint {from}: {e}"))?;
    // Reading ahead: a temporary copy of the slot, at the checkpoint, that dies with this
    // connection (closed, not pooled, when the reader ends).
    let mut reader_lit = None;
    if ahead {
        static COPIES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let copy = format!(
            "{}_r{}_{n}",
            &slot[..slot.len().min(40)],
            std::process::id()
        );
        let copy_lit = text_literal(crate::endpoints::Engine::Postgres, &copy);
        match sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SELECT pg_copy_logical_replication_slot({slot_lit}, {copy_lit}, true)"
        )))
        .execute(&mut *c)
        .await
        {
            Ok(_) => reader_lit = Some(copy_lit),
            Err(e) => {
                tracing::warn!(target: "tugboat::cdc", "slot {slot}: no temporary copy to read ahead with ({e}); each read decodes from the checkpoint again (a free replication slot helps)")
            }
        }
    }
    let peek = format!(
        "SELECT data FROM pg_logical_slot_peek_binary_changes({}, NULL, {PEEK_CHANGES}, 'proto_version', '1', 'publication_names', {slot_lit})",
        reader_lit.as_deref().unwrap_or(&slot_lit)
    );
    let mut rels: HashMap<u32, Relation> = HashMap::new();
    // The tables as captured now: a table that gains columns on the source is read again.
    let mut tables = tables.clone();
    // The transaction being decoded was sent before (a peek decodes from the slot's position
    // again): its relations are described as they were then, which is no change.
    let mut resent = false;
    // The highest position sent: a peek returns it again until the slot moves past it.
    let mut sent = after;
    // Where the copy read ahead with stands (see `reader_lit`).
    let mut copy_at = after;
    // Since when nothing new was read (see `flushed` below).
    let mut idle_since = std::time::Instant::now() - Duration::from_secs(1);
    loop {
        // A peek decodes from the slot's position again: wait until the target has applied
        // what was sent, so nothing is decoded twice, then move the slot past it.
        let mut moved = false;
        while after < sent && reader_lit.is_none() {
            match tokio::time::timeout(Duration::from_secs(5), confirmed.recv()).await {
                Ok(Some(Position::Lsn(l))) if l > after => {
                    after = l;
                    moved = true;
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                // The target is slow (or a batch waits on a lock): peek anyway.
                Err(_) => break,
            }
        }
        while let Ok(p) = confirmed.try_recv() {
            if let Position::Lsn(l) = p
                && l > after
            {
                after = l;
                moved = true;
            }
        }
        if moved {
            sqlx::raw_sql(sqlx::AssertSqlSafe(advance(after)))
                .execute(&mut *c)
                .await
                .map_err(|e| format!("advancing slot {slot} to {}: {e}", Position::Lsn(after)))?;
        }
        // The copy moves past what was sent: the next read starts there.
        if let Some(copy) = &reader_lit
            && sent > copy_at
        {
            copy_at = sent;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "SELECT pg_replication_slot_advance({copy}, '{}'::pg_lsn) WHERE '{}'::pg_lsn > (SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = {copy})",
                Position::Lsn(sent),
                Position::Lsn(sent)
            )))
            .execute(&mut *c)
            .await
            .map_err(|e| format!("advancing the copy of slot {slot} to {}: {e}", Position::Lsn(sent)))?;
        }
        // Idle: where the server's WAL is flushed before this peek; if it returns nothing new,
        // everything for the task up to there has been sent (the slot may move past it even
        // when only other tables change; at most twice a second).
        let flushed = if idle_since.elapsed() >= Duration::from_millis(500) {
            idle_since = std::time::Instant::now();
            sqlx::query_scalar::<_, String>("SELECT pg_current_wal_flush_lsn()::text")
                .fetch_one(&mut *c)
                .await
                .ok()
                .and_then(|l| Position::parse(&l))
        } else {
            None
        };
        // Streamed: a peek returns whole transactions, and one may be very large (it goes
        // on to the target in parts, never held whole here).
        let mut rows =
            sqlx::query_as::<_, (Vec<u8>,)>(sqlx::AssertSqlSafe(peek.clone())).fetch(&mut *c);
        let mut txn: Option<Txn> = None;
        let mut truncated: Vec<String> = vec![];
        // Parts of the transaction being read were sent (see `Captured::Part`).
        let mut parted = false;
        let mut fresh = 0;
        let mut seen: i64 = 0;
        while let Some((data,)) = rows
            .try_next()
            .await
            .map_err(|e| format!("reading slot {slot}: {e}"))?
        {
            seen += 1;
            match decode(&data, &mut rels, &tables, resent)? {
                Msg::Begin { final_lsn } => {
                    resent = final_lsn < sent;
                    parted = false;
                    txn = Some(Txn {
                        end: Position::Lsn(0),
                        commit_ms: 0,
                        changes: vec![],
                    })
                }
                // A transaction sent before is decoded again only to be passed over.
                Msg::Change(_) | Msg::Truncate(_) if resent => {}
                Msg::Change(ch) => {
                    if let Some(t) = txn.as_mut() {
                        t.changes.push(ch);
                        if t.changes.len() >= crate::engines::change::PART_CHANGES {
                            // Its truncates go first, as they would before the whole of it.
                            for table in std::mem::take(&mut truncated) {
                                if tx.send(truncate(sent, table, 0)).await.is_err() {
                                    return Ok(());
                                }
                            }
                            parted = true;
                            let part = Captured::Part(std::mem::take(&mut t.changes));
                            if tx.send(part).await.is_err() {
                                return Ok(());
                            }
                        }
                    }
                }
                Msg::Truncate(names) => {
                    // What the transaction changed in these tables before is gone with them.
                    if let Some(t) = txn.as_mut() {
                        t.changes.retain(|c| !names.contains(&c.table));
                    }
                    if parted {
                        // Its earlier changes are on the target already: emptied there now.
                        for table in names {
                            if tx.send(truncate(sent, table, 0)).await.is_err() {
                                return Ok(());
                            }
                        }
                    } else {
                        truncated.extend(names);
                    }
                }
                Msg::Grown { key, columns } => {
                    // Columns added at the end on the source: the table as it is now, if that
                    // is what the relation describes; its changes go on with them.
                    let meta = &tables[&key];
                    let label = meta.label.clone();
                    let now = crate::engines::discover::grown_table(conn, meta)
                        .await
                        .filter(|t| {
                            t.columns.iter().filter(|c| c.generated.is_none()).count() == columns
                        });
                    let Some(t) = now else {
                        let reason = format!(
                            "its columns changed on the source ({} new at the end, but its definition now is not that): reload the table",
                            columns.saturating_sub(meta.columns.len())
                        );
                        if tx
                            .send(Captured::TableChanged {
                                table: label,
                                reason,
                            })
                            .await
                            .is_err()
                        {
                            return Ok(());
                        }
                        continue;
                    };
                    tables.insert(
                        key,
                        TableMeta::of(&label, &t, |d| {
                            crate::engines::values::kind(conn.endpoint.engine, d)
                        }),
                    );
                    // The relation again, now that it matches: its changes are read.
                    decode(&data, &mut rels, &tables, resent)?;
                    let added = Captured::ColumnsAdded {
                        end: Position::Lsn(sent),
                        label,
                        table: Box::new(t),
                    };
                    if tx.send(added).await.is_err() {
                        return Ok(());
                    }
                }
                Msg::Changed(table, reason) => {
                    if tx
                        .send(Captured::TableChanged { table, reason })
                        .await
                        .is_err()
                    {
                        return Ok(());
                    }
                }
                Msg::Commit { end, ms } => {
                    if let Some(mut t) = txn.take() {
                        if end <= sent {
                            truncated.clear();
                            continue;
                        }
                        // A truncate goes before the rest of its transaction's changes (the
                        // changes to its table before it were dropped above).
                        for table in std::mem::take(&mut truncated) {
                            if tx.send(truncate(sent, table, ms)).await.is_err() {
                                return Ok(());
                            }
                        }
                        sent = end;
                        t.end = Position::Lsn(end);
                        t.commit_ms = ms;
                        fresh += 1;
                        // A parted transaction's end commits it on the target, even when no
                        // change is left for it.
                        if (parted || !t.changes.is_empty())
                            && tx.send(Captured::Txn(t)).await.is_err()
                        {
                            return Ok(());
                        }
                        parted = false;
                    }
                }
                Msg::Other => {}
            }
        }
        // (A peek cut short by its limit has not read to the end: it says nothing.)
        if fresh == 0
            && seen < PEEK_CHANGES
            && let Some(p) = flushed
        {
            tx.read_through(p);
        }
        if fresh > 0 {
            idle_since = std::time::Instant::now();
        }
        if fresh == 0 {
            // Nothing new: look again shortly.
            tokio::time::sleep(Duration::from_millis(20)).await;
            if tx.is_closed() {
                return Ok(());
            }
        }
    }
}

/// A source TRUNCATE of `table`, checkpointed at `at` (the end of the last transaction sent).
/// A TRUNCATE of `table` (`commit_ms`: its transaction's commit time, 0 when not known yet).
fn truncate(at: u64, table: String, commit_ms: i64) -> Captured {
    Captured::Ddl {
        end: Position::Lsn(at),
        table: Some(table),
        sql: "TRUNCATE".into(),
        commit_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_text_as_the_full_load_reads_it() {
        assert_eq!(canonical("t", Kind::Bool), "1");
        assert_eq!(canonical("\\x00ff", Kind::Binary), "00ff");
        assert_eq!(
            canonical("2024-02-29 10:00:00.5+00", Kind::TimestampTz),
            "2024-02-29 10:00:00.500000"
        );
        assert_eq!(
            canonical("2024-02-29 10:00:00", Kind::Timestamp),
            "2024-02-29 10:00:00.000000"
        );
        assert_eq!(canonical("infinity", Kind::Timestamp), "infinity");
        assert_eq!(
            canonical("0044-03-15 10:00:00.5+00 BC", Kind::TimestampTz),
            "0044-03-15 10:00:00.500000 BC"
        );
        assert_eq!(
            canonical("0044-03-15 10:00:00 BC", Kind::Timestamp),
            "0044-03-15 10:00:00.000000 BC"
        );
        assert_eq!(canonical("12.50", Kind::Decimal), "12.50");
        assert_eq!(canonical("ab   ", Kind::Char), "ab");
        assert_eq!(slot_name("Repl-1 x"), "tugboat_repl_1_x");
    }

    #[test]
    fn a_truncated_message_is_an_error_not_a_panic() {
        let mut rels = HashMap::new();
        let tables = HashMap::new();
        assert!(decode(b"C\x00\x01", &mut rels, &tables, false).is_err());
        assert!(decode(b"I\x00\x00\x00\x07N", &mut rels, &tables, false).is_err());
    }
}
