//! Values a task must carry exactly between engines beyond the everyday kinds: spatial values
//! (MySQL geometry with its SRID, PostgreSQL's geometric types), NUL characters in text (which
//! PostgreSQL cannot store: a policy), SQLite sources into the other two engines, and
//! PostgreSQL character(n) without its padding.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tugboat::endpoints::{Connection, Role};
use tugboat::tasks::{NulChars, Settings, Summary, TableResult, TableState, Task, run};

use crate::support;
use crate::tasks::{one, open};

fn task(name: &str, settings: Settings) -> Task {
    Task {
        id: String::new(),
        task_type: Default::default(),
        stop_at: None,
        name: name.into(),
        source: "s".into(),
        target: "t".into(),
        mappings: tugboat::tasks::mappings::TableMappings::all(),
        settings,
    }
}

async fn go(name: &str, settings: Settings, src: &Connection, tgt: &Connection) -> Summary {
    let s = run(
        &task(name, settings),
        src,
        tgt,
        Arc::new(|_| {}),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    support::hashed_alike(&s);
    s
}

fn table<'a>(s: &'a Summary, name: &str) -> &'a TableResult {
    s.tables
        .iter()
        .find(|t| t.source.ends_with(&format!(".{name}")))
        .unwrap_or_else(|| panic!("no table {name} in {s:#?}"))
}

const MARIADB_GEO: &str = "
CREATE TABLE geo (
  id INT PRIMARY KEY,
  g GEOMETRY,
  p POINT,
  poly POLYGON
);
INSERT INTO geo VALUES
 (1, ST_GeomFromText('POINT(1 2)', 4326), ST_GeomFromText('POINT(-0.1 1e300)'), ST_GeomFromText('POLYGON((0 0,4 0,4 3,0 0),(1 1,2 1,2 2,1 1))')),
 (2, ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))', 3857), NULL, NULL),
 (3, ST_GeomFromText('GEOMETRYCOLLECTION(POINT(3 4),LINESTRING(0 0,1 1,2 0.5))'), NULL, NULL),
 (4, NULL, NULL, NULL);
";

/// MariaDB geometry (with SRIDs, multi-geometries, collections) into PostgreSQL bytea as EWKB,
/// into SQLite BLOBs as EWKB, and into MariaDB geometry byte for byte; each load validated.
#[tokio::test]
async fn mariadb_spatial_values_arrive_exactly_everywhere() {
    let src_url = support::mysql_database("tug_geo_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(MARIADB_GEO).await.unwrap();

    // Into PostgreSQL: EWKB, the SRID inside (PostGIS reads it with ST_GeomFromEWKB).
    let pg = open(&support::pg_database("tug_geo_pg").await, Role::Target).await;
    let s = go("geo2pg", Settings::default(), &src, &pg).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    assert_eq!(table(&s, "geo").validation_state(), "Validated");
    let point = one(
        &pg,
        "SELECT upper(encode(g, 'hex')) FROM tug_geo_src.geo WHERE id = 1",
    )
    .await;
    assert_eq!(
        point.as_deref(),
        Some("0101000020E6100000000000000000F03F0000000000000040"),
        "POINT(1 2) with SRID 4326 as EWKB"
    );
    // SRID 0: the EWKB is the plain WKB MariaDB gives.
    for (id, col) in [(1, "p"), (1, "poly"), (3, "g")] {
        let wkb = one(
            &src,
            &format!("SELECT HEX(ST_AsBinary({col})) FROM geo WHERE id = {id}"),
        )
        .await;
        let got = one(
            &pg,
            &format!("SELECT upper(encode({col}, 'hex')) FROM tug_geo_src.geo WHERE id = {id}"),
        )
        .await;
        assert_eq!(got, wkb, "{col} of row {id}");
    }
    let srid = one(
        &pg,
        "SELECT get_byte(g, 5) + 256 * get_byte(g, 6) FROM tug_geo_src.geo WHERE id = 2",
    )
    .await;
    assert_eq!(
        srid.as_deref(),
        Some("3857"),
        "the multipolygon keeps SRID 3857"
    );
    let nulls = one(
        &pg,
        "SELECT count(*) FROM tug_geo_src.geo WHERE g IS NULL AND p IS NULL",
    )
    .await;
    assert_eq!(nulls.as_deref(), Some("1"));

    // Into MariaDB: the same bytes (SRID included).
    let my = open(&support::mysql_database("tug_geo_my").await, Role::Target).await;
    let s = go("geo2my", Settings::default(), &src, &my).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    let all = "SELECT GROUP_CONCAT(CONCAT_WS(':', id, HEX(g), HEX(p), HEX(poly), ST_SRID(g)) ORDER BY id SEPARATOR ' ') FROM geo";
    let (a, b) = (one(&src, all).await, one(&my, all).await);
    assert!(a.as_deref().is_some_and(|a| a.contains(":3857")), "{a:?}");
    assert_eq!(a, b);

    // Into SQLite: BLOBs holding EWKB.
    let dir = tempfile::tempdir().unwrap();
    let lite = open(
        &format!("sqlite://{}", dir.path().join("geo.db").display()),
        Role::Target,
    )
    .await;
    let s = go("geo2lite", Settings::default(), &src, &lite).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    let point = one(&lite, "SELECT hex(g) FROM geo WHERE id = 1").await;
    assert_eq!(
        point.as_deref(),
        Some("0101000020E6100000000000000000F03F0000000000000040")
    );
    let kinds = one(&lite, "SELECT typeof(g) FROM geo WHERE id = 3").await;
    assert_eq!(kinds.as_deref(), Some("blob"));
    src.close().await;
    pg.close().await;
    my.close().await;
    lite.close().await;
}

const PG_GEO: &str = "
CREATE TABLE shapes (
  id int PRIMARY KEY,
  p point,
  b box,
  poly polygon,
  pa path,
  l lseg
);
INSERT INTO shapes VALUES
 (1, '(1.5,-2)', '(2,2),(0,0)', '((0,0),(4,0),(4,3))', '[(0,0),(1,1),(2,0.5)]', '[(0,0),(0.25,3)]'),
 (2, '(0.1,1e-300)', NULL, NULL, '((0,0),(1,1),(2,0))', NULL),
 (3, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE rings (id int PRIMARY KEY, c circle);
INSERT INTO rings VALUES (1, '<(0,0),1>');
";

/// PostgreSQL's geometric types into MariaDB geometry (as the shapes they are) and SQLite BLOBs
/// (WKB), validated; a circle, which no WKB type holds, fails its table with the reason while the
/// other tables load.
#[tokio::test]
async fn postgres_geometric_values_arrive_as_geometry() {
    let src_url = support::pg_database("tug_geo_psrc").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(PG_GEO).await.unwrap();

    let my = open(
        &support::mysql_database("tug_geo_pg2my").await,
        Role::Target,
    )
    .await;
    let s = go("shapes2my", Settings::default(), &src, &my).await;
    let shapes = table(&s, "shapes");
    assert_eq!(shapes.state, TableState::Completed, "{s:#?}");
    assert_eq!(shapes.validation_state(), "Validated");
    let row1 = one(
        &my,
        "SELECT CONCAT_WS(' | ', ST_AsText(p), ST_AsText(b), ST_AsText(poly), ST_AsText(pa), ST_AsText(l)) FROM shapes WHERE id = 1",
    )
    .await;
    assert_eq!(
        row1.as_deref(),
        Some(
            "POINT(1.5 -2) | POLYGON((0 0,2 0,2 2,0 2,0 0)) | POLYGON((0 0,4 0,4 3,0 0)) | LINESTRING(0 0,1 1,2 0.5) | LINESTRING(0 0,0.25 3)"
        )
    );
    let closed = one(&my, "SELECT ST_AsText(pa) FROM shapes WHERE id = 2").await;
    assert_eq!(closed.as_deref(), Some("LINESTRING(0 0,1 1,2 0,0 0)"));
    let tiny = one(&my, "SELECT ST_Y(p) = 1e-300 FROM shapes WHERE id = 2").await;
    assert_eq!(tiny.as_deref(), Some("1"), "every bit of the coordinate");
    let rings = table(&s, "rings");
    assert_eq!(rings.state, TableState::Error);
    assert!(
        rings
            .error
            .as_deref()
            .is_some_and(|e| e.contains("column c") && e.contains("circle has no spatial")),
        "{rings:#?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let lite = open(
        &format!("sqlite://{}", dir.path().join("shapes.db").display()),
        Role::Target,
    )
    .await;
    let s = go("shapes2lite", Settings::default(), &src, &lite).await;
    assert_eq!(table(&s, "shapes").validation_state(), "Validated");
    let p = one(&lite, "SELECT hex(p) FROM shapes WHERE id = 1").await;
    assert_eq!(
        p.as_deref(),
        Some("0101000000000000000000F83F00000000000000C0"),
        "POINT(1.5 -2) as WKB"
    );
    src.close().await;
    my.close().await;
    lite.close().await;
}

/// Text with NUL characters: MariaDB and SQLite hold them, PostgreSQL cannot. Into SQLite they
/// arrive as they are; into PostgreSQL the default refuses the row with the column named, and
/// `remove` removes them, counts the values changed and validates against the values so changed.
#[tokio::test]
async fn nul_characters_follow_the_policy() {
    let src_url = support::mysql_database("tug_nul_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, tag VARCHAR(10));
         INSERT INTO notes VALUES (1, CONCAT('a', CHAR(0 USING utf8mb4), 'b', CHAR(0 USING utf8mb4)), 'x'),
           (2, 'plain', CONCAT(CHAR(0 USING utf8mb4), 'y')), (3, NULL, NULL);
         CREATE TABLE clean (id INT PRIMARY KEY, v TEXT);
         INSERT INTO clean VALUES (1, 'nothing to see');",
    )
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let lite = open(
        &format!("sqlite://{}", dir.path().join("nul.db").display()),
        Role::Target,
    )
    .await;
    let s = go("nul2lite", Settings::default(), &src, &lite).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    let body = one(
        &lite,
        "SELECT hex(body) || ' ' || length(CAST(body AS BLOB)) FROM notes WHERE id = 1",
    )
    .await;
    assert_eq!(body.as_deref(), Some("61006200 4"), "NULs kept in SQLite");

    let pg = open(&support::pg_database("tug_nul_pg").await, Role::Target).await;
    let s = go("nul2pg", Settings::default(), &src, &pg).await;
    let notes = table(&s, "notes");
    assert_eq!(notes.state, TableState::Error, "{s:#?}");
    let e = notes.error.as_deref().unwrap_or_default();
    assert!(e.contains("column body") && e.contains("NUL"), "{e}");
    assert_eq!(table(&s, "clean").state, TableState::Completed);

    let s = go(
        "nul2pg",
        Settings {
            nul_chars: NulChars::Remove,
            ..Settings::default()
        },
        &src,
        &pg,
    )
    .await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    let notes = table(&s, "notes");
    assert_eq!(notes.nuls_removed, 2, "two values changed");
    assert_eq!(notes.validation_state(), "Validated");
    let got = one(
        &pg,
        "SELECT string_agg(coalesce(body, '-') || '/' || coalesce(tag, '-'), ' ' ORDER BY id) FROM tug_nul_src.notes",
    )
    .await;
    assert_eq!(got.as_deref(), Some("ab/x plain/y -/-"));
    src.close().await;
    lite.close().await;
    pg.close().await;
}

/// A SQLite source (the types it declares, values of each storage class) into PostgreSQL and
/// MariaDB: integers at the 64-bit limits, reals with every digit, text with quotes and emoji,
/// blobs with zero bytes, NULL vs empty, dates kept as text; each load validated.
#[tokio::test]
async fn sqlite_values_arrive_exactly_in_postgres_and_mariadb() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("src.db").display());
    let make = open(&url, Role::Target).await;
    make.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, big INTEGER, r REAL, t TEXT, b BLOB, d DATE, ts DATETIME, ok BOOLEAN, n NUMERIC(10,2));
         INSERT INTO items VALUES
           (1, 9223372036854775807, 0.1, 'it''s 🚢 \\ a', X'00FF00', '2024-02-29', '2024-02-29 23:59:59.25', 1, 12.5),
           (2, -9223372036854775808, -1.7976931348623157e308, '', X'', '1999-12-31', '1970-01-01 00:00:00', 0, -0.01),
           (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
    )
    .await
    .unwrap();
    make.close().await;
    let src = open(&url, Role::Source).await;
    for target in ["postgres", "mariadb"] {
        let tgt = if target == "postgres" {
            open(&support::pg_database("tug_lite2pg").await, Role::Target).await
        } else {
            open(&support::mysql_database("tug_lite2my").await, Role::Target).await
        };
        let s = go("lite2x", Settings::default(), &src, &tgt).await;
        assert_eq!(s.failed(), 0, "{target}: {s:#?}");
        assert_eq!(
            table(&s, "items").validation_state(),
            "Validated",
            "{target}"
        );
        let (sql, want) = if target == "postgres" {
            (
                "SELECT concat_ws('|', big, r, t, encode(b, 'hex'), d, ts, ok, n) FROM items WHERE id = 1",
                "9223372036854775807|0.1|it's 🚢 \\ a|00ff00|2024-02-29|2024-02-29 23:59:59.25|t|12.50",
            )
        } else {
            (
                "SELECT CONCAT_WS('|', big, r, t, LOWER(HEX(b)), d, ts, ok, n) FROM items WHERE id = 1",
                "9223372036854775807|0.1|it's 🚢 \\ a|00ff00|2024-02-29|2024-02-29 23:59:59.250000|1|12.50",
            )
        };
        assert_eq!(one(&tgt, sql).await.as_deref(), Some(want), "{target}");
        let low = if target == "postgres" {
            "SELECT concat_ws('|', big, r, '[' || t || ']', '[' || encode(b, 'hex') || ']', ok, n) FROM items WHERE id = 2"
        } else {
            "SELECT CONCAT_WS('|', big, r, CONCAT('[', t, ']'), CONCAT('[', HEX(b), ']'), ok, n) FROM items WHERE id = 2"
        };
        let want = if target == "postgres" {
            "-9223372036854775808|-1.7976931348623157e+308|[]|[]|f|-0.01"
        } else {
            "-9223372036854775808|-1.7976931348623157e308|[]|[]|0|-0.01"
        };
        assert_eq!(one(&tgt, low).await.as_deref(), Some(want), "{target}");
        let nulls = one(
            &tgt,
            "SELECT count(*) FROM items WHERE big IS NULL AND t IS NULL AND b IS NULL",
        )
        .await;
        assert_eq!(nulls.as_deref(), Some("1"), "{target}");
        tgt.close().await;
    }
    src.close().await;
}

/// The everyday MariaDB values (unsigned 64-bit, wide decimals, doubles, booleans, BIT,
/// DATETIME(6), TIMESTAMP, zero dates, 4-byte UTF-8, binary with zero bytes, JSON, ENUM, SET,
/// YEAR, TIME) into SQLite and into another MariaDB database, each validated row by row.
#[tokio::test]
async fn mariadb_values_arrive_exactly_in_sqlite_and_mariadb() {
    let src_url = support::mysql_database("tug_vals_src2").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(crate::tasks::MARIADB_SOURCE).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for target in ["sqlite", "mariadb"] {
        let tgt = if target == "sqlite" {
            open(
                &format!("sqlite://{}", dir.path().join("vals.db").display()),
                Role::Target,
            )
            .await
        } else {
            open(
                &support::mysql_database("tug_vals_my2my").await,
                Role::Target,
            )
            .await
        };
        let s = go("vals", Settings::default(), &src, &tgt).await;
        assert_eq!(s.failed(), 0, "{target}: {s:#?}");
        let vals = table(&s, "vals");
        assert_eq!(vals.validation_state(), "Validated", "{target}");
        assert_eq!(vals.zero_dates, 1, "{target}: the zero date counted");
        let (sql, want) = if target == "sqlite" {
            (
                "SELECT u64 || '|' || d || '|' || f || '|' || b || '|' || bits || '|' || dt || '|' || ts || '|' || dz || '|' || txt || '|' || hex(bin) || '|' || j || '|' || e || '|' || s || '|' || y || '|' || tm FROM vals WHERE id = 1",
                "18446744073709551615|12345678901234567890.0123456789|0.1|1|21|2024-02-29 23:59:59.123456|2024-03-01 12:00:00.500000|1999-12-31|It's \\ a\ttab\nline 🚢|00FF00|{\"k\": [1, 2]}|b|x,y|2155|23:59:59.125",
            )
        } else {
            (
                "SELECT CONCAT_WS('|', u64, d, f, b, BIN(bits), dt, ts, dz, txt, HEX(bin), j, e, s, y, tm) FROM vals WHERE id = 1",
                "18446744073709551615|12345678901234567890.0123456789|0.1|1|10101|2024-02-29 23:59:59.123456|2024-03-01 12:00:00.500000|1999-12-31|It's \\ a\ttab\nline 🚢|00FF00|{\"k\": [1, 2]}|b|x,y|2155|23:59:59.125",
            )
        };
        assert_eq!(one(&tgt, sql).await.as_deref(), Some(want), "{target}");
        let zero = one(
            &tgt,
            "SELECT count(*) FROM vals WHERE id = 2 AND dz IS NULL",
        )
        .await;
        assert_eq!(zero.as_deref(), Some("1"), "{target}: zero date as NULL");
        tgt.close().await;
    }
    src.close().await;
}

/// Tables whose every target column has a type Tugboat encodes itself go through PostgreSQL's
/// binary COPY (src/tasks/pgbinary.rs): the limits of each such type arrive exactly, and a date
/// PostgreSQL cannot hold (MariaDB allows 2021-02-30 under ALLOW_INVALID_DATES) is refused with
/// the column named, never moved to another day.
#[tokio::test]
async fn binary_copy_carries_every_limit_into_postgres() {
    let src_url = support::mysql_database("tug_bin_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE lim (id INT PRIMARY KEY, i8 BIGINT, u8 BIGINT UNSIGNED, i2 SMALLINT, i4 INT,
           ti TINYINT, d DECIMAL(65,30), d2 DECIMAL(10,2), db DOUBLE, dt DATE, t TEXT, c CHAR(3),
           v VARCHAR(20), bl BLOB, j JSON, ok BOOLEAN, e ENUM('a','b c'));
         INSERT INTO lim VALUES
          (1, 9223372036854775807, 18446744073709551615, 32767, 2147483647, 127,
           99999999999999999999999999999999999.999999999999999999999999999999, 12.50,
           1.7976931348623157e308, '9999-12-31', 'it''s 🚢 \\\\ a\ttab\nline', 'ab', '',
           X'00FF00', '{\"a\": [1, 2.50, \"🚢\"]}', 1, 'b c'),
          (2, -9223372036854775808, 0, -32768, -2147483648, -128,
           -0.000000000000000000000000000001, -0.01, 2.2250738585072014e-308, '1000-01-01',
           '', '', 'x', X'', '[]', 0, 'a'),
          (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL),
          (4, 0, 10000, 0, 0, 0, 0.000000000000000000000000000000, 0.00, -0.0, '2024-02-29',
           'x', 'abc', 'y', X'01', 'null', 1, 'a');
         SET SESSION sql_mode = 'ALLOW_INVALID_DATES';
         CREATE TABLE odd (id INT PRIMARY KEY, d DATE);
         INSERT INTO odd VALUES (1, '2021-01-31'), (2, '2021-02-30');",
    )
    .await
    .unwrap();
    let pg = open(&support::pg_database("tug_bin_pg").await, Role::Target).await;
    let s = go("bin2pg", Settings::default(), &src, &pg).await;
    let lim = table(&s, "lim");
    assert_eq!(lim.state, TableState::Completed, "{s:#?}");
    assert_eq!(lim.validation_state(), "Validated", "{s:#?}");
    // Every column of the target table has a type the binary format is used for.
    let types = one(
        &pg,
        "SELECT string_agg(DISTINCT CASE WHEN t.typtype = 'e' THEN 'enum' ELSE format_type(a.atttypid, NULL) END, ',')
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = 'tug_bin_src.lim'::regclass AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .await
    .unwrap_or_default();
    for t in types.split(',') {
        assert!(
            [
                "bigint",
                "integer",
                "smallint",
                "numeric",
                "date",
                "text",
                "character",
                "character varying",
                "bytea",
                "json",
                "jsonb",
                "boolean",
                "double precision",
                "real",
                "enum"
            ]
            .contains(&t),
            "column type {t} of {types} is not one the binary COPY encodes"
        );
    }
    let row = |id: i32| {
        format!(
            "SELECT concat_ws('|', i8, u8, i2, i4, ti, d, d2, db, dt, '[' || t || ']', '[' || c || ']',
               '[' || v || ']', encode(bl, 'hex'), j::text, ok, e) FROM tug_bin_src.lim WHERE id = {id}"
        )
    };
    assert_eq!(
        one(&pg, &row(1)).await.as_deref(),
        Some(
            "9223372036854775807|18446744073709551615|32767|2147483647|127|\
             99999999999999999999999999999999999.999999999999999999999999999999|12.50|\
             1.7976931348623157e+308|9999-12-31|[it's 🚢 \\ a\ttab\nline]|[ab]|[]|00ff00|\
             {\"a\": [1, 2.50, \"🚢\"]}|t|b c"
        )
    );
    assert_eq!(
        one(&pg, &row(2)).await.as_deref(),
        Some(
            "-9223372036854775808|0|-32768|-2147483648|-128|-0.000000000000000000000000000001|\
             -0.01|2.2250738585072014e-308|1000-01-01|[]|[]|[x]||[]|f|a"
        )
    );
    assert_eq!(
        one(&pg, &row(4)).await.as_deref(),
        Some(
            "0|10000|0|0|0|0.000000000000000000000000000000|0.00|0|2024-02-29|[x]|[abc]|[y]|01|null|t|a"
        )
    );
    let nulls = one(
        &pg,
        "SELECT count(*) FROM tug_bin_src.lim WHERE id = 3 AND num_nulls(i8, u8, i2, i4, ti, d, d2, db, dt, t, c, v, bl, j, ok, e) = 16",
    )
    .await;
    assert_eq!(nulls.as_deref(), Some("1"));

    let odd = table(&s, "odd");
    assert_eq!(odd.state, TableState::Error, "{s:#?}");
    let e = odd.error.as_deref().unwrap_or_default();
    assert!(e.contains("column d") && e.contains("2021-02-30"), "{e}");
    src.close().await;
    pg.close().await;
}

/// MySQL TIME holds durations (-838:59:59 to 838:59:59), not only times of day: on PostgreSQL
/// it is an interval, every value arrives and validates.
#[tokio::test]
async fn mariadb_time_durations_arrive_in_postgres() {
    let src_url = support::mysql_database("tug_time_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE shifts (id INT PRIMARY KEY, d TIME NOT NULL, f TIME(3) NULL);
         INSERT INTO shifts VALUES (1, '-838:59:59', '00:00:01.500'), (2, '838:59:59', NULL),
           (3, '10:30:00', '23:59:59.999'), (4, '00:00:00', '-00:00:00.250'), (5, '100:00:00', '24:00:00');",
    )
    .await
    .unwrap();
    let pg = open(&support::pg_database("tug_time_pg").await, Role::Target).await;
    let s = go("time2pg", Settings::default(), &src, &pg).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    assert_eq!(table(&s, "shifts").validation_state(), "Validated");
    let got = one(
        &pg,
        "SELECT string_agg(d::text || '/' || coalesce(f::text, '-'), ' ' ORDER BY id) FROM tug_time_src.shifts",
    )
    .await;
    assert_eq!(
        got.as_deref(),
        Some(
            "-838:59:59/00:00:01.5 838:59:59/- 10:30:00/23:59:59.999 00:00:00/-00:00:00.25 100:00:00/24:00:00"
        )
    );
    src.close().await;
    pg.close().await;
}

/// PostgreSQL `character(n)` (read as its padded output, trimmed by Tugboat rather than cast by
/// the server) arrives without its padding in SQLite, MariaDB and PostgreSQL: full load
/// validated row by row, `tugboat validate` (checksums computed inside both databases) says
/// Validated, and a change replicated into SQLite is trimmed like the full load's values.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_fixed_width_text_arrives_without_its_padding() {
    let src_url = support::pg_database("tug_char_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE fixed (id int PRIMARY KEY, code char(6), label character(12), note char(3), v varchar(8));
         INSERT INTO fixed VALUES (1, 'A1', 'two words', NULL, 'kept  '), (2, 'B 2', '', 'x', NULL),
           (3, 'Zoë', 'ünïcödé', 'abc', ' lead');
         INSERT INTO fixed SELECT g, 'c' || g % 97, 'l' || g, NULL, 'v' FROM generate_series(4, 3000) g;
         CREATE TABLE codes (code char(5) PRIMARY KEY, n int);
         INSERT INTO codes VALUES ('a', 1), ('b b', 2), ('ccccc', 3);",
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lite_url = format!("sqlite://{}", dir.path().join("fixed.db").display());
    let targets = [
        support::mysql_database("tug_char_my").await,
        support::pg_database("tug_char_pg").await,
        lite_url.clone(),
    ];
    let rows = [
        (1, "A1|two words|-|kept  "),
        (2, "B 2||x|-"),
        (3, "Zoë|ünïcödé|abc| lead"),
    ];
    for url in &targets {
        let tgt = open(url, Role::Target).await;
        let settings = Settings {
            validate: tugboat::tasks::ValidateMode::Rows,
            ..Default::default()
        };
        let s = go("chars", settings, &src, &tgt).await;
        assert_eq!(s.failed(), 0, "{url}: {s:#?}");
        assert_eq!(table(&s, "fixed").validation_state(), "Validated", "{url}");
        let codes = table(&s, "codes").validation_state();
        assert!(codes.starts_with("Validated"), "{url}: {codes}");
        // The values as stored, padding and all: what SQLite keeps is what it was given.
        for (id, want) in rows {
            let sql = if url.starts_with("mysql") {
                format!(
                    "SELECT CONCAT_WS('|', code, label, COALESCE(note, '-'), COALESCE(v, '-')) FROM fixed WHERE id = {id}"
                )
            } else if url.starts_with("sqlite") {
                format!(
                    "SELECT code || '|' || label || '|' || coalesce(note, '-') || '|' || coalesce(v, '-') FROM fixed WHERE id = {id}"
                )
            } else {
                format!(
                    "SELECT concat_ws('|', code::text, label::text, coalesce(note::text, '-'), coalesce(v, '-')) FROM fixed WHERE id = {id}"
                )
            };
            assert_eq!(one(&tgt, &sql).await.as_deref(), Some(want), "{url}");
        }
        if url.starts_with("sqlite") {
            assert_eq!(
                one(
                    &tgt,
                    "SELECT count(*) FROM fixed WHERE code LIKE '% ' OR label LIKE '% '"
                )
                .await
                .as_deref(),
                Some("0"),
                "no padding in SQLite"
            );
        } else {
            crate::cdc::all_validated(&src_url, url);
        }
        tgt.close().await;
    }

    // A change replicated from PostgreSQL's logical decoding (which sends char(n) padded).
    let cdc_url = format!("sqlite://{}", dir.path().join("cdc.db").display());
    let log = crate::cdc::log_file("char-cdc");
    let mut child = crate::cdc::start_task(&src_url, &cdc_url, &log, "chars_cdc", &[]);
    let dst = open(&cdc_url, Role::Target).await;
    crate::cdc::loaded(&dst, "chars_cdc", &mut child, &log).await;
    src.execute("UPDATE fixed SET code = 'up', label = 'moved' WHERE id = 2; INSERT INTO fixed VALUES (5000, 'new', 'row', 'n', 'x')")
        .await
        .unwrap();
    crate::cdc::converge(
        &src,
        &dst,
        "SELECT string_agg(code::text || '|' || label::text, ',' ORDER BY id) FROM fixed WHERE id IN (2, 5000)",
        "SELECT group_concat(code || '|' || label, ',') FROM (SELECT code, label FROM fixed WHERE id IN (2, 5000) ORDER BY id)",
        &log,
    )
    .await;
    let (_, text) = crate::cdc::stop(&mut child, "INT", &log);
    crate::cdc::no_exceptions(&dst, &text).await;
    assert_eq!(
        one(
            &dst,
            "SELECT count(*) FROM fixed WHERE code LIKE '% ' OR label LIKE '% ' OR note LIKE '% '"
        )
        .await
        .as_deref(),
        Some("0"),
        "{text}"
    );
    dst.close().await;
    tugboat::engines::postgres::pgoutput::drop_slot_named(&src, "tugboat_chars_cdc")
        .await
        .unwrap();
    src.close().await;
}

/// PostgreSQL timestamps are read as the server writes them and carried whole: a fraction of
/// any length, 'infinity' (a common "valid until" value) and a BC year, into PostgreSQL and
/// SQLite, validated row by row; finite values into MariaDB too. (Read through to_char, as
/// before, 'infinity' became NULL and a BC year an AD one, and validation, reading the source
/// the same way, called it equal.)
#[tokio::test]
async fn postgres_timestamps_arrive_with_their_fraction_era_and_infinity() {
    let src_url = support::pg_database("tug_ts_src").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        "CREATE TABLE spans (id int PRIMARY KEY, ts timestamp(6), tz timestamptz);
         INSERT INTO spans VALUES
           (1, '2024-02-29 10:00:00.5', '2024-02-29 10:00:00.25+02'),
           (2, '2024-02-29 10:00:00', '2024-02-29 23:59:59.999999+00'),
           (3, 'infinity', '-infinity'),
           (4, '0044-03-15 10:00:00.125 BC', '0044-03-15 10:00:00 BC'),
           (5, NULL, NULL);",
    )
    .await
    .unwrap();
    let settings = || Settings {
        validate: tugboat::tasks::ValidateMode::Rows,
        ..Default::default()
    };
    // Into PostgreSQL: every value as it was.
    let pg_url = support::pg_database("tug_ts_pg").await;
    let pg = open(&pg_url, Role::Target).await;
    let s = go("ts", settings(), &src, &pg).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    assert_eq!(table(&s, "spans").validation_state(), "Validated");
    let all = "SELECT string_agg(concat_ws('|', id, ts, tz), ',' ORDER BY id) FROM spans";
    assert_eq!(one(&pg, all).await, one(&src, all).await);
    pg.close().await;
    // Into SQLite: the canonical text, six digits of fraction, the era and infinity kept.
    let dir = tempfile::tempdir().unwrap();
    let lite = open(
        &format!("sqlite://{}", dir.path().join("ts.db").display()),
        Role::Target,
    )
    .await;
    let s = go("ts", settings(), &src, &lite).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    assert_eq!(table(&s, "spans").validation_state(), "Validated");
    assert_eq!(
        one(&lite, "SELECT group_concat(coalesce(ts, '-') || '|' || coalesce(tz, '-'), ',') FROM (SELECT ts, tz FROM spans ORDER BY id)").await.as_deref(),
        Some("2024-02-29 10:00:00.500000|2024-02-29 08:00:00.250000+00,2024-02-29 10:00:00|2024-02-29 23:59:59.999999+00,infinity|-infinity,0044-03-15 10:00:00.125000 BC|0044-03-15 10:00:00+00 BC,-|-")
    );
    lite.close().await;
    // Into MariaDB: the finite values (it has no infinity, no BC).
    src.execute("DELETE FROM spans WHERE id IN (3, 4)")
        .await
        .unwrap();
    let my = open(&support::mysql_database("tug_ts_my").await, Role::Target).await;
    let s = go("ts", settings(), &src, &my).await;
    assert_eq!(s.failed(), 0, "{s:#?}");
    assert_eq!(table(&s, "spans").validation_state(), "Validated");
    assert_eq!(
        one(
            &my,
            "SELECT GROUP_CONCAT(CONCAT_WS('|', ts, tz) ORDER BY id) FROM spans"
        )
        .await
        .as_deref(),
        Some(
            "2024-02-29 10:00:00.500000|2024-02-29 08:00:00.250000,2024-02-29 10:00:00.000000|2024-02-29 23:59:59.999999,"
        )
    );
    my.close().await;
    src.close().await;
}
