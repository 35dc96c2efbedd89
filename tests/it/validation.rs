//! Tables whose key is not made of integers, and tables with no key, are validated down to the
//! row: a changed value, a missing row and an extra row are each found and named, by key (by
//! the whole row's values without a key), whether the rows were hashed as the load wrote them
//! or both sides are read again, and whatever order each engine gives the key.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tugboat::endpoints::Role;
use tugboat::tasks::validate::Method;
use tugboat::tasks::{Summary, TableResult, TableState, TaskEvent};

use crate::support;
use crate::tasks::{open, recording, rows_of, task};

fn table<'a>(s: &'a Summary, name: &str) -> &'a TableResult {
    s.tables
        .iter()
        .find(|x| x.source.ends_with(name))
        .unwrap_or_else(|| panic!("{name} in {s:#?}"))
}

/// The method and (missing, extra, different) of table `name`'s validation.
fn found(s: &Summary, name: &str) -> (Method, (u64, u64, u64)) {
    let d = table(s, name).validation_detail.clone().unwrap();
    (d.method.clone(), (d.missing, d.extra, d.different))
}

/// A load into tables that exist on the target with other types: a char(40) that loses a
/// value's trailing spaces in a table keyed by text under MariaDB's case-insensitive collation
/// (which orders its keys unlike PostgreSQL) and loaded in slices of sampled keys, and a
/// numeric of a smaller scale that rounds a value in a table without a key (which holds the
/// same row twice). The rows read back are hashed against the rows as written by a hash of
/// their key: the one changed row is named by its key; in the keyless table the rounded row is
/// missing as it was and extra as it became, and the twin rows are not a difference.
#[tokio::test]
async fn a_load_finds_what_the_target_changed_in_tables_without_an_integer_key() {
    let src_url = support::mysql_database("tug_vhash_load").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE codes (code VARCHAR(20) PRIMARY KEY, v VARCHAR(40), n INT) COLLATE utf8mb4_general_ci;
         INSERT INTO codes SELECT concat(IF(seq % 2, 'k', 'K'), lpad(seq, 5, '0')), concat('row ', seq), seq FROM seq_1_to_6000;
         INSERT INTO codes VALUES ('B', 'bee', 1), ('a', 'ay', 2), ('_x', NULL, 3), ('Zz', 'ends in spaces   ', 4), ('É1', 'accent', 5);
         CREATE TABLE heap (a INT, n DECIMAL(10,2));
         INSERT INTO heap SELECT seq % 50, seq DIV 10 FROM seq_1_to_3000;
         INSERT INTO heap VALUES (7, 7.00), (7, 7.00), (999, 1.25), (NULL, NULL);
         ANALYZE TABLE codes, heap;",
    )
    .await
    .unwrap();
    let tgt_url = support::pg_database("tug_vhash_load").await;
    let tgt = open(&tgt_url, Role::Target).await;
    tgt.execute(
        "CREATE SCHEMA tug_vhash_load;
         CREATE TABLE tug_vhash_load.codes (code varchar(20) PRIMARY KEY, v char(40), n int);
         CREATE TABLE tug_vhash_load.heap (a int, n numeric(10,1));",
    )
    .await
    .unwrap();
    let mut t = task("vhash_load");
    t.settings.partition_rows = 1_000;
    t.settings.batch_rows = 500;
    let (events, sink) = recording();
    let s = tugboat::tasks::run(&t, &src, &tgt, sink, Arc::new(AtomicBool::new(false)))
        .await
        .unwrap();
    let slices = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            TaskEvent::Ranges { table, parts, .. } if table.ends_with(".codes") => Some(*parts),
            _ => None,
        })
        .max();
    assert!(slices >= Some(3), "codes loaded in slices: {slices:?}");
    for (name, rows) in [(".codes", 6_005), (".heap", 3_004)] {
        let x = table(&s, name);
        assert_eq!((x.state, x.rows), (TableState::Completed, rows), "{s:#?}");
        assert_eq!(x.validation_state(), "Mismatched records", "{s:#?}");
    }
    let (method, counts) = found(&s, ".codes");
    assert!(
        matches!(method, Method::Hashed { differing: 1, read_back: true, segments } if segments > 1),
        "{method:?}"
    );
    assert_eq!(counts, (0, 0, 1));
    let (method, counts) = found(&s, ".heap");
    assert!(
        matches!(
            method,
            Method::Hashed {
                read_back: true,
                ..
            }
        ),
        "{method:?}"
    );
    assert_eq!(counts, (1, 1, 0));
    let rows = rows_of(&tgt, "SELECT table_name, key_value, failure, columns_differing FROM tugboat_validation_failures WHERE task = 'vhash_load' ORDER BY table_name, failure").await;
    assert_eq!(
        rows,
        [
            "tug_vhash_load.codes|Zz|different|v",
            "tug_vhash_load.heap|('999', '1.3')|extra on target|",
            "tug_vhash_load.heap|('999', '1.25')|missing on target|",
        ]
    );
    let codes = table(&s, ".codes").validation_detail.clone().unwrap();
    assert!(
        codes
            .differences
            .iter()
            .any(|d| d.contains("v: source 'ends in spaces   ', target 'ends in spaces'")),
        "{codes:#?}"
    );
    src.close().await;
    tgt.close().await;
}

/// Tables loaded whole and equal, then changed on the target (a PostgreSQL source, a MariaDB
/// target that orders text keys without case): a second run compares the tables already there
/// by reading both sides and finds a changed value, a deleted row and an added one by their
/// text keys, and in the keyless table a row added a third time and a changed row.
#[tokio::test]
async fn a_second_run_finds_changed_missing_and_extra_rows_by_text_key() {
    let src_url = support::pg_database("tug_vhash_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE codes (code text PRIMARY KEY, v text, n int);
         INSERT INTO codes SELECT 'k' || lpad(g::text, 5, '0'), 'row ' || g, g FROM generate_series(1, 3000) g;
         INSERT INTO codes VALUES ('B', 'bee', 1), ('a', 'ay', 2), ('_x', NULL, 3), ('É1', 'accent', 5);
         CREATE TABLE heap (a int, b text);
         INSERT INTO heap SELECT g % 40, 'h' || (g % 40) FROM generate_series(1, 2000) g;
         INSERT INTO heap VALUES (500, 'five hundred'), (NULL, NULL);",
    )
    .await
    .unwrap();
    let tgt_url = support::mysql_database("tug_vhash_tgt").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let t = task("vhash_again");
    let (_, sink) = recording();
    let first = crate::tasks::run_ok(&t, &src, &tgt, sink).await;
    for name in [".codes", ".heap"] {
        assert_eq!(
            table(&first, name).validation_state(),
            "Validated",
            "{first:#?}"
        );
    }
    tgt.execute(
        "UPDATE codes SET n = -1 WHERE code = 'B';
         DELETE FROM codes WHERE code = 'a';
         INSERT INTO codes VALUES ('zz-extra', 'added', 0);
         INSERT INTO heap VALUES (7, 'h7');
         UPDATE heap SET b = 'changed' WHERE a = 500;",
    )
    .await
    .unwrap();
    let second = tugboat::tasks::run(
        &t,
        &src,
        &tgt,
        recording().1,
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    let (method, counts) = found(&second, ".codes");
    assert!(
        matches!(
            method,
            Method::Hashed {
                differing: 3,
                read_back: false,
                ..
            }
        ),
        "{method:?}"
    );
    assert_eq!(counts, (1, 1, 1));
    assert_eq!(found(&second, ".heap").1, (1, 2, 0));
    for name in [".codes", ".heap"] {
        assert_eq!(
            table(&second, name).validation_state(),
            "Mismatched records"
        );
    }
    let rows = rows_of(&tgt, "SELECT table_name, key_value, failure, columns_differing FROM tugboat_validation_failures WHERE task = 'vhash_again' ORDER BY table_name, failure, key_value").await;
    assert_eq!(
        rows,
        [
            "public.codes|B|different|n",
            "public.codes|zz-extra|extra on target|",
            "public.codes|a|missing on target|",
            "public.heap|('500', 'changed')|extra on target|",
            "public.heap|('7', 'h7')|extra on target|",
            "public.heap|('500', 'five hundred')|missing on target|",
        ]
    );
    src.close().await;
    tgt.close().await;
}
