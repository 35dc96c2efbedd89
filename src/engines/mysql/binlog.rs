//! MySQL / MariaDB capture: the binary log read as a replica (mysql_async's binlog stream),
//! row events decoded with the column types the source catalog gives (the log carries neither
//! names nor, without `binlog_row_metadata`, signedness), into the full load's canonical text,
//! so a change's values are what a full-load read of the same row would give. Transactions end
//! at their XID (or COMMIT) event; rotations are followed; the position is the file and the
//! offset just past the transaction's last event (MariaDB's GTID events arrive as dummies).

use std::collections::HashMap;

use futures_util::StreamExt;
use mysql_async::binlog::events::EventData;
use mysql_async::binlog::value::BinlogValue;
use mysql_async::{BinlogStreamRequest, Conn, OptsBuilder, Value};

use super::gtid::{GtidState, gtid_state};
use crate::endpoints::Connection;
use crate::engines::change::{Captured, Change, Op, Position, TableMeta, Txn, query_error};
use crate::engines::values::{Kind, hex};
use crate::error::{Error, Result};
use crate::model::{DataType, Table};

/// The source's current binary log position (where a capture starting now begins).
pub async fn current_position(conn: &Connection) -> Result<Position> {
    let rows = match conn.query_text("SHOW MASTER STATUS").await {
        Ok(r) => r,
        // MySQL 8.4 renamed it.
        Err(_) => {
            conn.query("reading the binary log position", "SHOW BINARY LOG STATUS")
                .await?
        }
    };
    let r = rows.first().ok_or_else(|| Error::InvalidEndpoint {
        endpoint: conn.endpoint.label(),
        reason: "the binary log is off (SHOW MASTER STATUS is empty): start the server with log_bin, binlog_format=ROW and binlog_row_image=FULL".into(),
    })?;
    let (Some(file), Some(pos)) = (r.at(0), r.at(1).and_then(|p| p.parse().ok())) else {
        return Err(query_error(
            conn,
            "reading the binary log position",
            "SHOW MASTER STATUS gave no file and position",
        ));
    };
    Ok(Position::Binlog {
        file: file.to_string(),
        pos,
    })
}

/// Whether the binary log file of `p` is still on the server: None when it is, else the reason
/// the capture cannot resume (purged logs lose changes).
pub async fn still_there(conn: &Connection, p: &Position) -> Result<Option<String>> {
    let Position::Binlog { file, .. } = p else {
        return Ok(Some(format!("{p} is not a binary log position")));
    };
    let rows = conn
        .query("listing the binary logs", "SHOW BINARY LOGS")
        .await?;
    let files: Vec<&str> = rows.iter().filter_map(|r| r.at(0)).collect();
    if files.contains(&file.as_str()) {
        return Ok(None);
    }
    Ok(Some(format!(
        "the binary log {file} holding the task's checkpoint {p} is no longer on the server (purged; the oldest is {}): changes since then are lost to replication. Reload the task (full load and CDC again), and keep binary logs longer than the task may be stopped (binlog_expire_logs_seconds)",
        files.first().unwrap_or(&"none")
    )))
}

/// A transaction ends at `at` (its XID, or COMMIT for non-transactional tables): its changes
/// go as a [`Captured::Txn`] (even none, after parts, to commit them), and the log is read to
/// there. False: the applier is gone.
async fn end_txn(
    tx: &crate::engines::change::Feed,
    at: Position,
    commit_ms: i64,
    changes: &mut Vec<Change>,
    parted: &mut bool,
    gtid: &Option<GtidState>,
) -> bool {
    if let Some(g) = gtid {
        tx.gtid_at(&at, &g.text);
    }
    let whole = std::mem::take(parted) | !changes.is_empty();
    let t = Txn {
        end: at.clone(),
        commit_ms,
        changes: std::mem::take(changes),
    };
    if whole && tx.send(Captured::Txn(t)).await.is_err() {
        return false;
    }
    tx.read_through(at);
    true
}

/// Reads the binary log from `from` and sends each committed transaction touching `tables`
/// (keyed by lower-case `schema.table`) to `tx`, until `tx` closes or the connection fails
/// (then a [`Captured::Failed`] says why). `server_id` must be unique among the server's
/// replicas.
pub async fn capture(
    conn: &Connection,
    server_id: u32,
    from: Position,
    tables: HashMap<String, TableMeta>,
    tx: crate::engines::change::Feed,
) {
    if let Err(e) = read_log(conn, server_id, from, &tables, &tx).await {
        // (The applier is gone: it stopped first, and says why.)
        if tx.send(Captured::Failed(e)).await.is_err() {
            tracing::debug!(target: "tugboat::cdc", "the capture failed after the applier stopped");
        }
    }
}

async fn read_log(
    conn: &Connection,
    server_id: u32,
    from: Position,
    tables: &HashMap<String, TableMeta>,
    tx: &crate::engines::change::Feed,
) -> std::result::Result<(), String> {
    let start = from.clone();
    let Position::Binlog { file, pos } = from else {
        return Err(format!("{from} is not a binary log position"));
    };
    // Columns added during the capture extend a table's definition here.
    let mut tables = tables.clone();
    let ep = &conn.endpoint;
    let opts = OptsBuilder::default()
        .ip_or_hostname(ep.host.clone())
        .tcp_port(ep.port)
        .user(Some(ep.user.clone()))
        .pass(conn.password().map(|p| p.expose().to_string()))
        .prefer_socket(false);
    let mut c = Conn::new(opts)
        .await
        .map_err(|e| format!("connecting to {} to read the binary log: {e}", ep.label()))?;
    use mysql_async::prelude::Queryable;
    // Timestamps in the log are UTC seconds; nothing else of the session matters.
    crate::error::logged(
        "asking for heartbeats in the binary log stream",
        c.query_drop("SET @master_heartbeat_period = 1000000000")
            .await,
    );
    // MariaDB: the state of its GTIDs here, followed through the log (the server sends its
    // GTID events to a replica that says it reads them), so that each checkpoint has its GTID.
    let mut gtid = gtid_state(conn, &file, pos)
        .await
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| GtidState::parse(&s));
    if gtid.is_some() {
        if c.query_drop("SET @mariadb_slave_capability = 4")
            .await
            .is_err()
        {
            gtid = None;
        } else if let Some(g) = &gtid {
            tx.gtid_at(&start, &g.text);
        }
    }
    let mut stream = c
        .get_binlog_stream(
            BinlogStreamRequest::new(server_id)
                .with_filename(file.as_bytes())
                .with_pos(pos),
        )
        .await
        .map_err(|e| format!("requesting the binary log from {file}:{pos}: {e}"))?;
    let mut file = file;
    // The server's first (fake) rotate event comes before the format description, so its
    // checksum is read as part of the name: it names the file requested anyway.
    let mut described = false;
    // Tables whose definition changed: their rows are no longer decoded (the table is
    // suspended, to be reloaded).
    let mut changed: std::collections::HashSet<String> = Default::default();
    let mut changes: Vec<Change> = vec![];
    // Parts of the transaction being read were sent on (its end must follow, even empty).
    let mut parted = false;
    while let Some(ev) = stream.next().await {
        let ev = ev.map_err(|e| format!("reading the binary log after {file}: {e}"))?;
        let h = ev.header();
        let end = h.log_pos() as u64;
        if h.event_type_raw() == 162 {
            if let Some(g) = gtid.as_mut() {
                g.read_event(h.server_id(), ev.data());
            }
            continue;
        }
        let data = ev
            .read_data()
            .map_err(|e| format!("decoding an event of {file} at {end}: {e}"))?;
        match data {
            Some(EventData::RotateEvent(r)) if described => {
                file = r.name().to_string();
            }
            Some(EventData::FormatDescriptionEvent(_)) => described = true,
            // Sent when the log has nothing more (every second): read to its end.
            Some(EventData::HeartbeatEvent) if end > 0 && changes.is_empty() && !parted => {
                let at = Position::Binlog {
                    file: file.clone(),
                    pos: end,
                };
                if let Some(g) = &gtid {
                    tx.gtid_at(&at, &g.text);
                }
                tx.read_through(at);
            }
            Some(EventData::RowsEvent(rows)) => {
                let Some(tme) = stream.get_tme(rows.table_id()) else {
                    return Err(format!(
                        "a row event of {file} at {end} has no table map before it"
                    ));
                };
                let key = format!("{}.{}", tme.database_name(), tme.table_name()).to_lowercase();
                let Some(meta) = tables.get(&key) else {
                    continue;
                };
                if changed.contains(&key) {
                    continue;
                }
                if tme.columns_count() as usize != meta.columns.len() {
                    changed.insert(key);
                    let reason = format!(
                        "the binary log has {} columns for it where the task read {} (its definition changed on the source): reload the table",
                        tme.columns_count(),
                        meta.columns.len()
                    );
                    let m = Captured::TableChanged {
                        table: meta.label.clone(),
                        reason,
                    };
                    if tx.send(m).await.is_err() {
                        return Ok(());
                    }
                    continue;
                }
                for r in rows.rows(tme) {
                    let (b, a) = r.map_err(|e| {
                        format!("decoding a row of {} at {file}:{end}: {e}", meta.label)
                    })?;
                    let before = b.map(|b| decode_row(meta, &b)).transpose()?;
                    let after = a.map(|a| decode_row(meta, &a)).transpose()?;
                    let op = match (&before, &after) {
                        (None, Some(_)) => Op::Insert,
                        (Some(_), Some(_)) => Op::Update,
                        _ => Op::Delete,
                    };
                    changes.push(Change {
                        table: meta.label.clone(),
                        op,
                        before,
                        after,
                        unchanged: vec![],
                        // binlog_row_image=FULL (a premigration check).
                        before_complete: true,
                        computed: vec![],
                        tolerant: false,
                    });
                }
                // A large transaction goes on in parts as it is read.
                if changes.len() >= crate::engines::change::PART_CHANGES {
                    parted = true;
                    if tx
                        .send(Captured::Part(std::mem::take(&mut changes)))
                        .await
                        .is_err()
                    {
                        return Ok(());
                    }
                }
            }
            Some(EventData::XidEvent(_)) => {
                let at = Position::Binlog {
                    file: file.clone(),
                    pos: end,
                };
                let ms = h.timestamp() as i64 * 1000;
                if !end_txn(tx, at, ms, &mut changes, &mut parted, &gtid).await {
                    return Ok(());
                }
            }
            Some(EventData::QueryEvent(q)) => {
                let sql = q.query().trim().to_string();
                let word = sql
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase();
                let at = Position::Binlog {
                    file: file.clone(),
                    pos: end,
                };
                if let Some(g) = &gtid
                    && word != "BEGIN"
                {
                    tx.gtid_at(&at, &g.text);
                }
                match word.as_str() {
                    "BEGIN" | "SAVEPOINT" | "XA" => {}
                    // A transaction of non-transactional tables ends so.
                    "COMMIT" => {
                        let ms = h.timestamp() as i64 * 1000;
                        if !end_txn(tx, at, ms, &mut changes, &mut parted, &gtid).await {
                            return Ok(());
                        }
                    }
                    "ALTER" | "CREATE" | "DROP" | "RENAME" | "TRUNCATE" => {
                        let schema = q.schema().to_string();
                        let key = ddl_table(&sql, &schema)
                            .map(|t| t.to_lowercase())
                            .filter(|t| tables.contains_key(t));
                        // ADD COLUMN: the table as it is now, if it only gained columns at the end.
                        if word == "ALTER"
                            && let Some(k) = &key
                            && let Some(t) = added_columns(conn, &tables[k], &sql).await
                        {
                            let label = tables[k].label.clone();
                            tables.insert(
                                k.clone(),
                                TableMeta::of(&label, &t, |d| {
                                    crate::engines::values::kind(conn.endpoint.engine, d)
                                }),
                            );
                            let m = Captured::ColumnsAdded {
                                end: at,
                                label,
                                table: Box::new(t),
                            };
                            if tx.send(m).await.is_err() {
                                return Ok(());
                            }
                            continue;
                        }
                        if word != "TRUNCATE"
                            && let Some(k) = &key
                        {
                            changed.insert(k.clone());
                        }
                        let table = key.map(|k| tables[&k].label.clone());
                        if table.is_some()
                            && tx
                                .send(Captured::Ddl {
                                    end: at,
                                    table,
                                    sql,
                                    commit_ms: h.timestamp() as i64 * 1000,
                                })
                                .await
                                .is_err()
                        {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Err(format!(
        "the source closed the binary log stream after {file}"
    ))
}

/// After `ALTER TABLE ... ADD [COLUMN] ...` on `meta`'s table: the table as the source has it
/// now, when it kept every column it had, in order, and gained some after them (anything else,
/// or a statement that does more than add columns, is None: the table is suspended).
async fn added_columns(conn: &Connection, meta: &TableMeta, sql: &str) -> Option<Table> {
    let upper = sql.to_ascii_uppercase();
    let after_table = upper.split_once(" ADD ")?.1;
    if [" DROP ", " CHANGE ", " MODIFY ", " RENAME ", " ALTER "]
        .iter()
        .any(|w| after_table.contains(w))
        || after_table.contains(" FIRST")
        || after_table.contains(" AFTER ")
    {
        return None;
    }
    crate::engines::discover::grown_table(conn, meta).await
}

/// The `schema.table` a DDL statement is about (`ALTER TABLE [db.]t ...`, `TRUNCATE [TABLE]
/// t`, `DROP TABLE [IF EXISTS] t`, `RENAME TABLE t TO ...`), `schema` when unqualified.
pub fn ddl_table(sql: &str, schema: &str) -> Option<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let mut i = 1;
    // ALTER [ONLINE] [IGNORE] TABLE, DROP [TEMPORARY] TABLE, CREATE [OR REPLACE] TABLE...
    while i < upper.len() && upper[i] != "TABLE" {
        if i > 3 {
            return None;
        }
        i += 1;
    }
    if i >= upper.len() {
        // TRUNCATE t
        if upper.first().map(String::as_str) == Some("TRUNCATE") && words.len() > 1 {
            i = 0;
        } else {
            return None;
        }
    }
    i += 1;
    while i < upper.len() && matches!(upper[i].as_str(), "IF" | "NOT" | "EXISTS") {
        i += 1;
    }
    let name = words.get(i)?.trim_end_matches([';', '(']);
    let parts: Vec<String> = name
        .split('.')
        .map(|p| p.trim_matches('`').to_string())
        .collect();
    match parts.as_slice() {
        [t] => Some(format!("{schema}.{t}")),
        [s, t] => Some(format!("{s}.{t}")),
        _ => None,
    }
}

fn decode_row(
    meta: &TableMeta,
    row: &mysql_async::binlog::row::BinlogRow,
) -> std::result::Result<Vec<Option<String>>, String> {
    if row.len() != meta.columns.len() {
        return Err(format!(
            "{}: the binary log has {} columns where the catalog read at the start has {} (its definition changed: reload the table)",
            meta.label,
            row.len(),
            meta.columns.len()
        ));
    }
    let mut out = Vec::with_capacity(row.len());
    for (i, (name, kind, ty)) in meta.columns.iter().enumerate() {
        let v = match row.as_ref(i) {
            Some(v) => canonical(v, *kind, ty)
                .map_err(|e| format!("{}, column {name}: {e}", meta.label))?,
            // Not in the image (binlog_row_image other than FULL).
            None => {
                return Err(format!(
                    "{}, column {name}: not in the binary log's row image (set binlog_row_image=FULL on the source)",
                    meta.label
                ));
            }
        };
        out.push(v);
    }
    Ok(out)
}

/// Bits of a MySQL integer type.
fn int_bits(t: &str) -> u32 {
    match t {
        "tinyint" => 8,
        "smallint" => 16,
        "mediumint" => 24,
        "int" | "integer" => 32,
        _ => 64,
    }
}

fn utf8(b: &[u8], ty: &DataType) -> std::result::Result<String, String> {
    match std::str::from_utf8(b) {
        Ok(s) => Ok(s.to_string()),
        Err(_) => Err(format!(
            "the value is not UTF-8 (column type {}; only utf8 and utf8mb4 text is read from the binary log)",
            ty.declared
        )),
    }
}

fn datetime(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8, us: u32) -> String {
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}")
}

/// A binary log value as the full load's MySQL SELECT list reads it
/// ([`crate::engines::values::select_sql`]).
pub fn canonical(
    v: &BinlogValue,
    kind: Kind,
    ty: &DataType,
) -> std::result::Result<Option<String>, String> {
    let t = ty.name.as_str();
    let v = match v {
        BinlogValue::Value(v) => v,
        BinlogValue::Jsonb(j) => {
            let j: serde_json::Value = j
                .clone()
                .try_into()
                .map_err(|e| format!("JSON value not readable: {e:?}"))?;
            return Ok(Some(j.to_string()));
        }
        BinlogValue::JsonDiff(_) => {
            return Err(
                "a partial JSON update (set binlog_row_value_options='' on the source)".into(),
            );
        }
    };
    Ok(Some(match v {
        Value::NULL => return Ok(None),
        Value::Int(i) => {
            if t == "enum" {
                return Ok(Some(match usize::try_from(*i).ok().filter(|&i| i > 0) {
                    Some(i) => ty
                        .values
                        .get(i - 1)
                        .cloned()
                        .ok_or_else(|| format!("enum index {i} beyond the type's values"))?,
                    None => String::new(),
                }));
            }
            if t == "timestamp" {
                return Ok(Some(unix_text(&i.to_string())?));
            }
            if ty.unsigned && *i < 0 {
                let bits = int_bits(t);
                let u = if bits == 64 {
                    *i as u64
                } else {
                    (*i as u64) & ((1u64 << bits) - 1)
                };
                u.to_string()
            } else {
                i.to_string()
            }
        }
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Double(f) => format!("{f:?}"),
        Value::Date(y, mo, d, h, mi, s, us) => match kind {
            Kind::Date => format!("{y:04}-{mo:02}-{d:02}"),
            _ => datetime(*y, *mo, *d, *h, *mi, *s, *us),
        },
        Value::Time(neg, days, h, m, s, us) => {
            let hours = *days as u64 * 24 + *h as u64;
            let sign = if *neg { "-" } else { "" };
            let mut out = format!("{sign}{hours:02}:{m:02}:{s:02}");
            let fsp = ty.fractional_seconds.unwrap_or(0).min(6) as usize;
            if fsp > 0 {
                let frac = format!("{us:06}");
                out.push('.');
                out.push_str(&frac[..fsp]);
            }
            out
        }
        Value::Bytes(b) => match (kind, t) {
            (_, "year") => {
                let y = utf8(b, ty)?;
                // YEAR 0000 is logged as 0, which the decoder adds 1900 to.
                if y == "1900" { "0000".into() } else { y }
            }
            (_, "timestamp") => unix_text(&utf8(b, ty)?)?,
            (_, "set") => {
                let mut mask: u64 = 0;
                for (i, x) in b.iter().enumerate().take(8) {
                    mask |= (*x as u64) << (8 * i);
                }
                ty.values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1u64 << i) != 0)
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }
            (Kind::Bit(n), _) => {
                let mut x: u128 = 0;
                for byte in b.iter() {
                    x = (x << 8) | *byte as u128;
                }
                format!("{x:0width$b}", width = n as usize)
            }
            (Kind::Binary | Kind::MyGeometry, _) => {
                // BINARY(n) is padded with zero bytes, which the log leaves out.
                let mut b = b.clone();
                if t == "binary"
                    && let Some(n) = ty.length
                {
                    b.resize((n as usize).max(b.len()), 0);
                }
                hex(&b)
            }
            _ => utf8(b, ty)?,
        },
    }))
}

/// A TIMESTAMP logged as Unix seconds (`secs` or `secs.micros`) as `YYYY-MM-DD HH:MM:SS.ffffff`
/// in UTC; 0 is MySQL's zero timestamp.
fn unix_text(s: &str) -> std::result::Result<String, String> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let secs: i64 = secs
        .parse()
        .map_err(|_| format!("timestamp {s} not readable"))?;
    let us: u32 = format!("{frac:0<6}")[..6]
        .parse()
        .map_err(|_| format!("timestamp {s} not readable"))?;
    if secs == 0 && us == 0 {
        return Ok("0000-00-00 00:00:00.000000".into());
    }
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as u16;
    Ok(datetime(
        y,
        m,
        d,
        (rem / 3600) as u8,
        (rem / 60 % 60) as u8,
        (rem % 60) as u8,
        us,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(name: &str) -> DataType {
        DataType::simple(name)
    }

    #[test]
    fn timestamps_in_utc_and_the_zero_timestamp() {
        assert_eq!(unix_text("0").as_deref(), Ok("0000-00-00 00:00:00.000000"));
        assert_eq!(unix_text("1").as_deref(), Ok("1970-01-01 00:00:01.000000"));
        assert_eq!(
            unix_text("2147483647.999999").as_deref(),
            Ok("2038-01-19 03:14:07.999999")
        );
        assert_eq!(
            unix_text("951782400.5").as_deref(),
            Ok("2000-02-29 00:00:00.500000")
        );
    }

    #[test]
    fn values_as_the_full_load_reads_them() {
        let mut u = ty("bigint");
        u.unsigned = true;
        let v = |x: Value| BinlogValue::Value(x);
        assert_eq!(
            canonical(&v(Value::Int(-1)), Kind::Integer, &u),
            Ok(Some("18446744073709551615".into()))
        );
        let mut ut = ty("tinyint");
        ut.unsigned = true;
        assert_eq!(
            canonical(&v(Value::Int(-1)), Kind::Integer, &ut),
            Ok(Some("255".into()))
        );
        let mut e = ty("enum");
        e.values = vec!["small".into(), "large".into()];
        assert_eq!(
            canonical(&v(Value::Int(2)), Kind::Text, &e),
            Ok(Some("large".into()))
        );
        let mut s = ty("set");
        s.values = vec!["a".into(), "b".into(), "c".into()];
        assert_eq!(
            canonical(&v(Value::Bytes(vec![5])), Kind::Text, &s),
            Ok(Some("a,c".into()))
        );
        assert_eq!(
            canonical(&v(Value::Bytes(vec![1, 2])), Kind::Bit(10), &ty("bit")),
            Ok(Some("0100000010".into()))
        );
        let mut b = ty("binary");
        b.length = Some(4);
        assert_eq!(
            canonical(&v(Value::Bytes(vec![0xAB])), Kind::Binary, &b),
            Ok(Some("AB000000".into()))
        );
        let mut t = ty("time");
        t.fractional_seconds = Some(3);
        assert_eq!(
            canonical(&v(Value::Time(true, 1, 2, 3, 4, 500_000)), Kind::Time, &t),
            Ok(Some("-26:03:04.500".into()))
        );
        assert_eq!(
            canonical(
                &v(Value::Bytes(b"1900".to_vec())),
                Kind::Integer,
                &ty("year")
            ),
            Ok(Some("0000".into()))
        );
        assert_eq!(
            canonical(
                &v(Value::Date(2024, 2, 29, 0, 0, 0, 0)),
                Kind::Date,
                &ty("date")
            ),
            Ok(Some("2024-02-29".into()))
        );
        assert_eq!(
            canonical(&v(Value::NULL), Kind::Text, &ty("text")),
            Ok(None)
        );
        assert!(canonical(&v(Value::Bytes(vec![0xff])), Kind::Text, &ty("text")).is_err());
    }

    #[test]
    fn ddl_names_its_table() {
        assert_eq!(
            ddl_table("ALTER TABLE `t1` ADD COLUMN x int", "shop").as_deref(),
            Some("shop.t1")
        );
        assert_eq!(
            ddl_table("TRUNCATE TABLE other.t2", "shop").as_deref(),
            Some("other.t2")
        );
        assert_eq!(ddl_table("TRUNCATE t3", "shop").as_deref(), Some("shop.t3"));
        assert_eq!(
            ddl_table("DROP TABLE IF EXISTS `t4` /* generated by server */", "s").as_deref(),
            Some("s.t4")
        );
        assert_eq!(ddl_table("CREATE DATABASE x", "s"), None);
    }
}
