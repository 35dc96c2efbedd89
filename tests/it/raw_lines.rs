//! A PostgreSQL source's COPY lines passed to the target as they are (`tasks::raw`): into
//! PostgreSQL where every column has the same type on both sides, into MariaDB through LOAD
//! DATA where every value would have been sent unchanged; every value arrives exactly (checked
//! on the target's own text of each row, and by validating every row), a value the target
//! changed is still found by the read-back, and a MariaDB that refuses LOAD DATA gets the
//! same rows through INSERTs.

use std::process::Command;

use crate::cdc::{open, scalar};
use crate::support;

/// `tugboat migrate … --json` with `extra` arguments: (exit success, summary, stderr).
fn migrate(src: &str, dst: &str, task: &str, extra: &[&str]) -> (bool, serde_json::Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args([
            "migrate",
            "--source",
            src,
            "--target",
            dst,
            "--task",
            task,
            "--validate",
            "rows",
            "--json",
        ])
        .args(extra)
        .output()
        .expect("tugboat runs");
    let said = String::from_utf8_lossy(&o.stderr).to_string();
    let summary = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("a JSON summary ({e}): {said}"));
    (o.status.success(), summary, said)
}

/// The summary's entry of the table whose source name ends with `name`.
fn table<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["tables"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|t| t["source"].as_str().is_some_and(|n| n.ends_with(name)))
        })
        .unwrap_or_else(|| panic!("{name} in {s:#}"))
}

/// Values of nearly every built-in type, with what a text format could get wrong: escapes,
/// control characters, NULL against empty and against the text `\N`, special numbers, eras,
/// infinities, arrays with quotes and NULLs; and 30,000 rows more to load in key ranges.
const PG_TYPES: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE every (
  id integer PRIMARY KEY, t text, v varchar(20), c char(6), n numeric(30,10), nu numeric,
  f8 float8, f4 real, b boolean, by bytea, d date, ts timestamp, tz timestamptz, tm time,
  iv interval, j json, jb jsonb, u uuid, ip inet, cd cidr, ia integer[], ta text[], m mood,
  p posint, r int4range, bv bit varying(8));
CREATE TABLE words (w text PRIMARY KEY, n integer);
"#;

const PG_ROWS: &str = r#"
INSERT INTO every VALUES
 (1, E'tab\there\nnew\rret\\back\fform\x0bvert\x01ctl\bbs 🚢', 'v  ', 'ab', 12345678901234567890.0123456789,
  'NaN', 'Infinity', '-0', true, '\x00ff5c0a095c4e', '4713-01-01 BC', '2024-05-06 07:08:09.123456',
  '2024-05-06 07:08:09.5+02', '23:59:59.999999', '1 year 2 mons 3 days 04:05:06.789',
  '{"a": [1, "x\ty"]}', '{"b": null}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1',
  '10.0.0.0/8', '{1,NULL,3}', '{"a\"b",NULL,"c,d",""}', 'happy', 7, '[1,5)', B'101'),
 (2, '', '', '', 0, 1e-20, 1e-300, 3.4e38, false, '\x', 'infinity', '-infinity', 'infinity',
  '00:00', '-1 day', 'null', '[]', '00000000-0000-0000-0000-000000000000', '::1', '::/0', '{}',
  '{}', 'sad', 1, 'empty', B''),
 (3, E'\\N', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO words SELECT 'w' || g, g FROM generate_series(1, 100) g;
INSERT INTO every (id, t, v, n)
  SELECT g, 'row ' || g || E'\t\\' || repeat('x', g % 50), 'v' || g, g / 7.0 FROM generate_series(4, 30000) g;
"#;

/// Each row of `table` as the server prints the whole row, in key order.
async fn rows_text(c: &tugboat::endpoints::Connection, table: &str) -> String {
    scalar(
        c,
        &format!(
            "SELECT md5(string_agg(x::text, E'\\n' ORDER BY id)) || ' ' || count(*) FROM {table} x"
        ),
    )
    .await
}

#[tokio::test]
async fn postgres_columns_of_the_same_types_pass_as_copy_lines_and_arrive_exactly() {
    let src_url = support::pg_database("tug_raw_src").await;
    let dst_url = support::pg_database("tug_raw_dst").await;
    let (src, dst) = (open(&src_url).await, open(&dst_url).await);
    src.execute(PG_TYPES).await.expect("source tables");
    src.execute(PG_ROWS).await.expect("source rows");
    // The same tables on the target, as pg_dump --schema-only makes them; but for a domain of
    // the same name over another type, whose binary form would be read as that type.
    src.execute(
        "CREATE DOMAIN amount AS integer;
         CREATE TABLE dom (id integer PRIMARY KEY, x amount);
         INSERT INTO dom VALUES (1, 7), (2, -1), (3, NULL);",
    )
    .await
    .expect("source domain");
    dst.execute(PG_TYPES).await.expect("target tables");
    dst.execute(
        "CREATE DOMAIN amount AS bigint; CREATE TABLE dom (id integer PRIMARY KEY, x amount);",
    )
    .await
    .expect("target domain");
    let (ok, s, said) = migrate(
        &src_url,
        &dst_url,
        "raw",
        &["--no-create-schema", "--partition-rows", "10000"],
    );
    assert!(ok, "{said}");
    let every = table(&s, "every");
    assert_eq!(every["rows"], 30000, "{every:#}");
    assert_eq!(
        every["rows_as_lines"], 30000,
        "every row went as the source's COPY line: {every:#}"
    );
    // Read back in the same text as written: no segment differs (each would be compared row
    // by row, slowly, though equal).
    assert_eq!(
        every["validation_detail"]["method"]["ReadBack"]["differing"], 0,
        "{every:#}"
    );
    assert_eq!(
        rows_text(&src, "every").await,
        rows_text(&dst, "every").await
    );
    let dom = table(&s, "dom");
    assert_eq!(dom["rows_as_lines"], 0, "{dom:#}");
    assert_eq!(
        scalar(
            &dst,
            "SELECT string_agg(coalesce(x::text, 'null'), ',' ORDER BY id) FROM dom"
        )
        .await,
        "7,-1,null"
    );
    // A key of text: its rows hashed by value, so parsed and encoded again.
    let words = table(&s, "words");
    assert_eq!(
        (&words["rows"], &words["rows_as_lines"]),
        (&serde_json::json!(100), &serde_json::json!(0)),
        "{words:#}"
    );
    assert_eq!(
        words["validation_detail"]["failures"]
            .as_array()
            .map(Vec::len),
        Some(0),
        "{words:#}"
    );
    // A value changed on the target afterwards: `tugboat validate` names its row.
    dst.execute("UPDATE every SET ta = '{\"a\\\"b\",NULL,\"c,d\"}' WHERE id = 1")
        .await
        .expect("change");
    let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args(["validate", "--source", &src_url, "--target", &dst_url])
        .output()
        .expect("tugboat runs");
    let said = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{said}");
    assert!(said.contains("1 row differs"), "{said}");
    assert_eq!(
        scalar(
            &dst,
            "SELECT key_value || ' ' || columns_differing FROM tugboat_validation_failures"
        )
        .await,
        "1 ta"
    );
    src.close().await;
    dst.close().await;
}

const PG_TO_MY: &str = r#"
CREATE TABLE tomy (id integer PRIMARY KEY, t text, v varchar(20), c char(6), n numeric(20,4),
  f8 float8, b boolean, by bytea, d date, ts timestamp, tz timestamptz, j jsonb, tm time);
INSERT INTO tomy VALUES
 (1, E'tab\there\nnew\rret\\back\fform\x0bvert\bbs 🚢', 'v  ', 'ab', 1234.5, 2.5, true,
  '\x00ff5c0a09', '2024-02-29', '2024-05-06 07:08:09.123456', '2024-05-06 07:08:09.5+02',
  '{"a": "x\ty"}', '12:34:56.5'),
 (2, '', '', '', 0, 1e-300, false, '\x', '1000-01-01', '1970-01-01 00:00:00', '2038-01-19 03:14:07+00',
  '[]', '00:00'),
 (3, E'\\N', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO tomy (id, t, v, n) SELECT g, E'row\\' || g || E'\f' || g, 'v' || g, g / 8.0
  FROM generate_series(4, 5000) g;
"#;

#[tokio::test]
async fn postgres_rows_pass_as_copy_lines_into_mariadb_and_as_inserts_without_load_data() {
    let src_url = support::pg_database("tug_raw_my_src").await;
    let src = open(&src_url).await;
    src.execute(PG_TO_MY).await.expect("source");
    let server = support::own_mariadb();
    let admin = open(&server.url_for("")).await;
    admin
        .execute("CREATE DATABASE raw_ld; CREATE DATABASE raw_ins")
        .await
        .expect("databases");
    let text_1 = "tab\there\nnew\rret\\back\u{c}form\u{b}vert\u{8}bs 🚢";
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02X}")).collect::<String>();
    for (db, lines) in [("raw_ld", 5000), ("raw_ins", 0)] {
        if db == "raw_ins" {
            admin
                .execute("SET GLOBAL local_infile = 0")
                .await
                .expect("off");
        }
        let (ok, s, said) = migrate(
            &src_url,
            &server.url_for(db),
            "raw",
            &["--partition-rows", "2000"],
        );
        assert!(ok, "{db}: {said}");
        let t = table(&s, "tomy");
        assert_eq!(t["rows"], 5000, "{db}: {t:#}");
        assert_eq!(t["rows_as_lines"], lines, "{db}: {t:#}");
        assert_eq!(
            t["validation_detail"]["failures"].as_array().map(Vec::len),
            Some(0),
            "{db}: every row compared equal: {t:#}"
        );
        let got = scalar(
            &admin,
            &format!(
                "SELECT concat_ws('|', HEX(t), v, c, n, f8, b, HEX(`by`), d, ts, tz, j, tm) FROM {db}.tomy WHERE id = 1"
            ),
        )
        .await;
        assert_eq!(
            got,
            format!(
                "{}|v  |ab|1234.5000|2.5|1|00FF5C0A09|2024-02-29|2024-05-06 07:08:09.123456|2024-05-06 05:08:09.500000|{{\"a\": \"x\\ty\"}}|12:34:56.500000",
                hex(text_1)
            ),
            "{db}"
        );
        assert_eq!(
            scalar(
                &admin,
                &format!("SELECT concat(HEX(t), '|', v IS NULL, '|', (SELECT HEX(t) FROM {db}.tomy WHERE id = 4)) FROM {db}.tomy WHERE id = 3")
            )
            .await,
            format!("{}|1|{}", hex("\\N"), hex("row\\4\u{c}4")),
            "{db}: the text \\N is no NULL, a form feed no f"
        );
    }
    admin.close().await;
    src.close().await;
}
