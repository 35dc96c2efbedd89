//! Big tables without an integer key are not one stream: a PostgreSQL table is read in page
//! ranges that share one snapshot, other sources' tables in ranges of their primary key; every
//! row arrives once, the table is validated, and a run stopped in the middle of such a table
//! loads again only the slices that did not finish (a PostgreSQL source's page ranges: the
//! whole table).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tugboat::endpoints::Role;
use tugboat::tasks::{Summary, TableState, TaskEvent};

use crate::cdc::{
    Writer, all_validated, converge, loaded, log_file, no_exceptions, start_task, stop,
};
use crate::support;
use crate::support::Outcome;
use crate::tasks::{Events, one, open, recording, run_ok, task};
use tugboat::tasks::run;

/// The most slices any table of `events` was said to load in, by table name ending.
fn parts_of(events: &Events, table: &str) -> usize {
    events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            TaskEvent::Ranges {
                table: t, parts, ..
            } if t.ends_with(table) => Some(*parts),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Asserts that `table` loaded completely with `rows` rows and was validated: every row read
/// back and hashed by its key (its whole value without a key).
fn completed(s: &Summary, table: &str, rows: u64) {
    let t = s
        .tables
        .iter()
        .find(|x| x.source.ends_with(table))
        .unwrap_or_else(|| panic!("{table} in {s:#?}"));
    assert_eq!((t.state, t.rows), (TableState::Completed, rows), "{s:#?}");
    assert_eq!(t.validation_state(), "Validated", "{s:#?}");
    assert!(
        matches!(
            t.validation_detail.as_ref().map(|d| &d.method),
            Some(tugboat::tasks::validate::Method::Hashed { .. })
        ),
        "{s:#?}"
    );
}

/// A PostgreSQL table with a text key and one with no key at all are read in page ranges; the
/// ranges of a table share the snapshot of its first: every row of `moving` is changed while its
/// first slice loads (the update moves the rows to other pages), and the target still gets each
/// row once, as it was when the table's load began.
#[tokio::test]
async fn postgres_tables_without_an_integer_key_load_in_page_ranges_of_one_snapshot() {
    let src_url = support::pg_database("tug_slices_pg").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE moving (code text PRIMARY KEY, v text NOT NULL, n numeric(10,2));
         INSERT INTO moving SELECT 'k' || lpad(g::text, 6, '0'), 'row ' || g, g / 7.0 FROM generate_series(1, 20000) g;
         CREATE TABLE heap (a text, b int);
         INSERT INTO heap SELECT 'h' || (g % 100), g FROM generate_series(1, 20000) g;
         ANALYZE moving; ANALYZE heap;",
    )
    .await
    .unwrap();
    let tgt_url = support::mysql_database("tug_slices_pg").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let mut t = task("slices_pg");
    t.settings.partition_rows = 2_000;
    t.settings.batch_rows = 500;
    // One copy at a time: the update below runs after the first slice began and before the
    // others do.
    t.settings.max_parallel_tables = 1;
    let events: Events = Default::default();
    let updated = Arc::new(AtomicBool::new(false));
    let sink = {
        let (events, updated) = (events.clone(), updated.clone());
        Arc::new(move |e: TaskEvent| {
            if let TaskEvent::Progress { table, .. } = &e
                && table.ends_with(".moving")
                && !updated.swap(true, Ordering::SeqCst)
            {
                let sql = std::env::temp_dir().join("tug_slices_update.sql");
                std::fs::write(&sql, "UPDATE moving SET v = v || ' changed';").unwrap();
                support::psql_file("tug_slices_pg", &sql);
            }
            events.lock().unwrap().push(e)
        })
    };
    let s = run_ok(&t, &src, &tgt, sink).await;
    completed(&s, ".moving", 20_000);
    completed(&s, ".heap", 20_000);
    assert!(parts_of(&events, ".moving") >= 4, "{:?}", events.lock());
    assert!(parts_of(&events, ".heap") >= 4, "{:?}", events.lock());
    assert!(updated.load(Ordering::SeqCst));
    let count = |sql: &'static str| one(&src, sql);
    assert_eq!(
        count("SELECT count(*) FROM moving WHERE v LIKE '% changed'").await,
        Some("20000".into()),
        "the rows changed on the source while the table loaded"
    );
    let on_target = |sql: &'static str| one(&tgt, sql);
    assert_eq!(
        on_target("SELECT count(*) FROM moving WHERE v LIKE '% changed'").await,
        Some("0".into()),
        "every slice read the snapshot the table's load began with"
    );
    assert_eq!(
        on_target("SELECT concat(count(*), ' ', count(DISTINCT code), ' ', sum(n)) FROM moving")
            .await,
        Some(format!("20000 20000 {}", sum_sevenths(20_000))),
    );
    assert_eq!(
        on_target("SELECT concat(count(*), ' ', sum(b)) FROM heap").await,
        Some(format!("20000 {}", 20_000u64 * 20_001 / 2)),
    );
    src.close().await;
    tgt.close().await;
}

/// Sum of round(g / 7, 2) for g in 1..=n, as numeric(10,2) keeps it.
fn sum_sevenths(n: u64) -> String {
    let cents: u64 = (1..=n).map(|g| (g * 100 * 2 + 7) / 14).sum();
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// MariaDB tables whose key is text under a case-insensitive collation (another order than
/// PostgreSQL's) and a composite key of text and date are read in ranges of their key,
/// bounded by sampled keys; every row arrives once. A run stopped while two slices loaded
/// into PostgreSQL (whose rows commit with their slice's record: neither is there) loads only
/// those two again; a row the target refuses rolls its slice back whole while the other is
/// kept; once the target takes it, only that slice loads, and every row is there once.
#[tokio::test]
async fn mariadb_tables_with_text_keys_load_in_ranges_of_sampled_keys() -> Outcome {
    let src_url = support::mysql_database("tug_slices_my").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE words (w VARCHAR(40) PRIMARY KEY, n INT NOT NULL) COLLATE utf8mb4_general_ci;
         INSERT INTO words SELECT concat(IF(seq % 2, 'a', 'B'), lpad(seq, 6, '0')), seq FROM seq_1_to_20000;
         CREATE TABLE pairs (k VARCHAR(10), d DATE, v INT, PRIMARY KEY (k, d));
         INSERT INTO pairs SELECT concat('g', seq % 7), '2000-01-01' + INTERVAL seq DAY, seq FROM seq_1_to_20000;
         ANALYZE TABLE words, pairs;",
    )
    .await?;
    let tgt_url = support::pg_database("tug_slices_my").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let mut t = task("slices_my");
    t.settings.partition_rows = 2_000;
    t.settings.batch_rows = 500;
    let (events, sink) = recording();
    let first = run_ok(&t, &src, &tgt, sink.clone()).await;
    completed(&first, ".words", 20_000);
    completed(&first, ".pairs", 20_000);
    assert!(parts_of(&events, ".words") >= 4, "{:?}", events.lock());
    assert!(parts_of(&events, ".pairs") >= 4, "{:?}", events.lock());
    let sums =
        "SELECT count(*) || ' ' || count(DISTINCT w) || ' ' || sum(n) FROM tug_slices_my.words";
    let whole = format!("20000 20000 {}", 20_000u64 * 20_001 / 2);
    assert_eq!(one(&tgt, sums).await, Some(whole.clone()));
    assert_eq!(
        one(
            &tgt,
            "SELECT count(*) || ' ' || sum(v) FROM tug_slices_my.pairs"
        )
        .await,
        Some(format!("20000 {}", 20_000u64 * 20_001 / 2))
    );
    // As if the process had died while slices 1 and 2 of `words` loaded: each slice's rows
    // commit with its record, so neither is there (their keys as MariaDB's collation orders
    // them, read from the source).
    let parts = parts_of(&events, ".words");
    let (k1, k2) = (
        slice_keys(&src, &tgt, 1).await?,
        slice_keys(&src, &tgt, 2).await?,
    );
    assert!(!k1.is_empty() && !k2.is_empty());
    tgt.execute(&format!(
        "UPDATE tugboat_table_state SET state = 'loading' WHERE table_name LIKE '%.words';
         UPDATE tugboat_slice_state SET state = 'loading', rows_loaded = 0 WHERE table_name LIKE '%.words' AND part IN (1, 2);
         DELETE FROM tug_slices_my.words WHERE w IN ({}, {});
         ALTER TABLE tug_slices_my.words ADD CONSTRAINT not_this CHECK (w <> {});",
        k1.join(", "),
        k2.join(", "),
        k2[k2.len() / 2]
    ))
    .await?;
    // The next run loads only those two; the target refuses a row of slice 2, whose COPY
    // rolls back whole: slice 1 is kept, recorded finished, slice 2 has no row there.
    forget(&events)?;
    let failed = run(
        &t,
        &src,
        &tgt,
        sink.clone(),
        Arc::new(AtomicBool::new(false)),
    )
    .await?;
    assert_eq!(failed.failed(), 1, "{failed:#?}");
    assert_eq!(skipped(&events, ".words"), Some(parts - 2));
    let present = |keys: &[String]| {
        format!(
            "SELECT count(*) FROM tug_slices_my.words WHERE w IN ({})",
            keys.join(", ")
        )
    };
    assert_eq!(one(&tgt, &present(&k1)).await, Some(k1.len().to_string()));
    assert_eq!(one(&tgt, &present(&k2)).await, Some("0".into()));
    let states = "SELECT string_agg(part || ' ' || state, ', ' ORDER BY part) FROM tugboat_slice_state WHERE table_name LIKE '%.words' AND part IN (1, 2)";
    assert_eq!(one(&tgt, states).await, Some("1 completed, 2 error".into()));
    // Once the target takes it, only slice 2 loads again, and every row is there once.
    tgt.execute("ALTER TABLE tug_slices_my.words DROP CONSTRAINT not_this")
        .await?;
    forget(&events)?;
    let second = run_ok(&t, &src, &tgt, sink).await;
    completed(&second, ".words", 20_000);
    assert_eq!(skipped(&events, ".words"), Some(parts - 1));
    assert_eq!(one(&tgt, sums).await, Some(whole));
    src.close().await;
    tgt.close().await;
    Ok(())
}

/// Forgets the events recorded so far.
fn forget(events: &Events) -> Outcome {
    events.lock().map_err(|e| e.to_string())?.clear();
    Ok(())
}

/// The slices of `table` an earlier run had finished, as the run said when it began (None:
/// it did not say, or the events could not be read).
fn skipped(events: &Events, table: &str) -> Option<usize> {
    events.lock().ok()?.iter().find_map(|e| match e {
        TaskEvent::Ranges { table: t, done, .. } if t.ends_with(table) => Some(*done),
        _ => None,
    })
}

/// The keys (as PostgreSQL literals) of the source's `words` rows in slice `part`, by the
/// bounds the target recorded, in the source's collation.
async fn slice_keys(
    src: &tugboat::endpoints::Connection,
    tgt: &tugboat::endpoints::Connection,
    part: usize,
) -> Result<Vec<String>, String> {
    let bound = |side: &str| {
        format!(
            "SELECT {side}::json->>0 FROM tugboat_slice_state WHERE table_name LIKE '%.words' AND part = {part}"
        )
    };
    let no_bound = || format!("slice {part} has no recorded bounds");
    let (from, to) = (
        one(tgt, &bound("key_from")).await.ok_or_else(no_bound)?,
        one(tgt, &bound("key_to")).await.ok_or_else(no_bound)?,
    );
    let sql = format!("SELECT w FROM words WHERE w >= '{from}' AND w < '{to}'");
    Ok(crate::tasks::rows_of(src, &sql)
        .await
        .into_iter()
        .map(|w| format!("'{w}'"))
        .collect())
}

/// Full load and CDC from PostgreSQL, the source in use: a table with a text key, loaded in
/// page ranges that share one snapshot, while transactions update, insert and delete its rows
/// (an update moves a row to another page); the changes after the snapshot are replayed once
/// it is loaded, and the target ends equal to the source with nothing refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_sliced_table_loads_and_replicates_while_the_source_changes() {
    let src_url = support::pg_database("tug_slices_cdc").await;
    let dst_url = support::mysql_database("tug_slices_cdc").await;
    let src = open(&src_url, Role::Source).await;
    let dst = open(&dst_url, Role::Target).await;
    let rows = 150_000u64;
    src.execute(&format!(
        "CREATE TABLE hot (code text PRIMARY KEY, n int NOT NULL, note varchar(60));
         INSERT INTO hot SELECT 'c' || g, 0, repeat('x', 50) FROM generate_series(1, {rows}) g;
         ANALYZE hot;"
    ))
    .await
    .unwrap();
    let writer = Writer::start(&src_url, std::time::Duration::ZERO, move |i| {
        let k = 1 + (i * 7919) % rows;
        format!(
            "BEGIN; UPDATE hot SET n = n + 1 WHERE code = 'c{k}'; INSERT INTO hot VALUES ('during {i}', {i}, 'during'); DELETE FROM hot WHERE code = 'c{}'; COMMIT",
            1 + (k + 500) % rows
        )
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = log_file("slices-cdc");
    let mut child = start_task(
        &src_url,
        &dst_url,
        &log,
        "slicecdc",
        &["--partition-rows", "20000", "-v"],
    );
    loaded(&dst, "slicecdc", &mut child, &log).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let written = writer.stop().await;
    assert!(
        written > 20,
        "the writer ran during the load ({written} transactions)"
    );
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("slices side by side (page ranges), all read in one snapshot"),
        "{text}"
    );
    converge(
        &src,
        &dst,
        "SELECT count(*) || '/' || sum(n) || '/' || sum(length(code)) FROM hot",
        "SELECT CONCAT(count(*), '/', sum(n), '/', sum(length(code))) FROM hot",
        &log,
    )
    .await;
    let (ok, out) = stop(&mut child, "INT", &log);
    assert!(ok, "{out}");
    no_exceptions(&dst, &out).await;
    all_validated(&src_url, &dst_url);
    // The task's slot, kept for a resume, would hold WAL and a slot of the shared server.
    src.execute("SELECT pg_drop_replication_slot('tugboat_slicecdc')")
        .await
        .unwrap();
}

/// A table keyed by text and a date, loaded in slices of sampled keys into SQLite, stopped as if
/// killed after slices 1 and 2 had written every row but before they were recorded finished:
/// the next run deletes those slices' rows by their composite keys (SQLite compares a row
/// value with `IN (VALUES …)`) and loads them again, with no key refused and no row twice.
#[tokio::test]
async fn a_sliced_table_resumes_into_sqlite_by_its_composite_keys() {
    let src_url = support::mysql_database("tug_slices_sq").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE pairs (k VARCHAR(10), d DATE, v INT, PRIMARY KEY (k, d));
         INSERT INTO pairs SELECT concat('g', seq % 7), '2000-01-01' + INTERVAL seq DAY, seq FROM seq_1_to_12000;
         ANALYZE TABLE pairs;",
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tgt_url = format!("sqlite://{}", dir.path().join("pairs.db").display());
    let tgt = open(&tgt_url, Role::Target).await;
    let mut t = task("slices_sq");
    t.settings.partition_rows = 2_000;
    t.settings.batch_rows = 500;
    let (events, sink) = recording();
    let first = run_ok(&t, &src, &tgt, sink.clone()).await;
    completed(&first, ".pairs", 12_000);
    assert!(parts_of(&events, ".pairs") >= 4, "{:?}", events.lock());
    tgt.execute(
        "UPDATE tugboat_table_state SET state = 'loading' WHERE table_name LIKE '%.pairs';
         UPDATE tugboat_slice_state SET state = 'loading', rows_loaded = 0 WHERE table_name LIKE '%.pairs' AND part IN (1, 2);",
    )
    .await
    .unwrap();
    events.lock().unwrap().clear();
    let second = run_ok(&t, &src, &tgt, sink).await;
    let pairs = second
        .tables
        .iter()
        .find(|x| x.source.ends_with(".pairs"))
        .unwrap();
    assert_eq!((pairs.state, pairs.rows), (TableState::Completed, 12_000));
    assert_eq!(pairs.validation_state(), "Validated", "{second:#?}");
    assert!(skipped(&events, ".pairs") >= Some(2), "{:?}", events.lock());
    assert_eq!(
        one(
            &tgt,
            "SELECT count(*) || ' ' || count(DISTINCT k || d) || ' ' || sum(v) FROM pairs"
        )
        .await,
        Some(format!("12000 12000 {}", 12_000u64 * 12_001 / 2))
    );
    src.close().await;
    tgt.close().await;
}

/// A load's stop, and the events that set it once a table has `rows` rows written.
fn stopped_at(rows: u64) -> (Arc<AtomicBool>, Arc<dyn Fn(TaskEvent) + Send + Sync>) {
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    let sink: Arc<dyn Fn(TaskEvent) + Send + Sync> = Arc::new(move |e| {
        if let TaskEvent::Progress { rows: n, .. } = e
            && n >= rows
        {
            stop.store(true, Ordering::Relaxed);
        }
    });
    (cancel, sink)
}

/// A load stopped while slices of a text key stream into PostgreSQL keeps no slice in part: a
/// slice stopped before its last row commits nothing (its record says it did not finish), so
/// the next run loads it whole and every row is there once.
#[tokio::test]
async fn a_stopped_load_keeps_no_part_of_a_slice_in_postgresql() -> Outcome {
    let src_url = support::mysql_database("tug_slices_stop").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE words (w VARCHAR(40) PRIMARY KEY, n INT NOT NULL, pad VARCHAR(200));
         INSERT INTO words SELECT concat('w', lpad(seq, 7, '0')), seq, repeat('x', 200) FROM seq_1_to_60000;
         ANALYZE TABLE words;",
    )
    .await?;
    let tgt_url = support::pg_database("tug_slices_stop").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let mut t = task("slices_stop");
    t.settings.partition_rows = 6_000;
    t.settings.batch_rows = 200;
    // Stopped once a tenth of the rows are written, slices in the middle of their rows.
    let (cancel, sink) = stopped_at(6_000);
    let first = run(&t, &src, &tgt, sink, cancel).await?;
    let words = first.tables.iter().find(|x| x.source.ends_with(".words"));
    assert!(
        words.is_some_and(|w| w.state != TableState::Completed),
        "{first:#?}"
    );
    // What is there is exactly the slices recorded finished.
    let kept = "SELECT (SELECT count(*) FROM tug_slices_stop.words) || ' ' || \
                (SELECT coalesce(sum(rows_loaded), 0) FROM tugboat_slice_state WHERE table_name LIKE '%.words' AND state = 'completed')";
    let counts = one(&tgt, kept).await.ok_or("no counts")?;
    let (there, recorded) = counts.split_once(' ').ok_or("two counts")?;
    assert_eq!(
        there, recorded,
        "rows on the target against the finished slices' rows"
    );
    assert!(there.parse::<u64>()? < 60_000, "{counts}");
    let (_, sink) = recording();
    let second = run_ok(&t, &src, &tgt, sink).await;
    completed(&second, ".words", 60_000);
    assert_eq!(
        one(
            &tgt,
            "SELECT count(*) || ' ' || count(DISTINCT w) || ' ' || sum(n) FROM tug_slices_stop.words"
        )
        .await,
        Some(format!("60000 60000 {}", 60_000u64 * 60_001 / 2))
    );
    src.close().await;
    tgt.close().await;
    Ok(())
}

/// A load stopped in the middle of a table copied whole into PostgreSQL (one COPY) keeps none of
/// its rows: the COPY commits only once every row is read, so the table is empty there, not
/// half loaded, and the next run loads it once.
#[tokio::test]
async fn a_stopped_load_keeps_no_part_of_a_whole_table_in_postgresql() -> Outcome {
    let src_url = support::mysql_database("tug_whole_stop").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE words (id INT PRIMARY KEY, pad VARCHAR(200));
         INSERT INTO words SELECT seq, repeat('x', 200) FROM seq_1_to_60000;",
    )
    .await?;
    let tgt_url = support::pg_database("tug_whole_stop").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let mut t = task("whole_stop");
    t.settings.partition_rows = 0;
    t.settings.batch_rows = 200;
    let (cancel, sink) = stopped_at(6_000);
    let first = run(&t, &src, &tgt, sink, cancel).await?;
    let words = first.tables.iter().find(|x| x.source.ends_with(".words"));
    assert!(
        words.is_some_and(|w| w.state != TableState::Completed),
        "{first:#?}"
    );
    assert_eq!(
        one(&tgt, "SELECT count(*) FROM tug_whole_stop.words").await,
        Some("0".into()),
        "the rows copied before the stop are not kept"
    );
    let (_, sink) = recording();
    let second = run_ok(&t, &src, &tgt, sink).await;
    let words = second.tables.iter().find(|x| x.source.ends_with(".words"));
    assert!(
        words.is_some_and(|w| (w.state, w.rows, w.validation_state())
            == (TableState::Completed, 60_000, "Validated")),
        "{second:#?}"
    );
    assert_eq!(
        one(&tgt, "SELECT count(*) FROM tug_whole_stop.words").await,
        Some("60000".into())
    );
    src.close().await;
    tgt.close().await;
    Ok(())
}
