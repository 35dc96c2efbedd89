//! Schema conversion to MySQL/MariaDB and SQLite targets, checked the way a DBA would: apply the
//! converted schema (and a script's data) to a real MariaDB or a new SQLite file, then look at
//! what is there and how it behaves.

use tugboat::assessment::Report;
use tugboat::conversion::apply::{Applied, StatementResult, apply};
use tugboat::conversion::{RuleSet, Source, convert};
use tugboat::ddl::{Dialect, parse_script};
use tugboat::endpoints::{Connection, Endpoint, Role};
use tugboat::engines::discover::{DiscoverOptions, discover};
use tugboat::model::Catalog;

use crate::support;

fn convert_text(text: &str, dialect: Dialect, file: &str, target: Dialect) -> Report {
    let source = Source::from_script(parse_script(text, dialect, file));
    let rules = RuleSet::shipped(dialect, target).unwrap();
    convert(&source, target, &rules).unwrap()
}

fn failures(results: &[Applied]) -> Vec<String> {
    results
        .iter()
        .filter_map(|a| match &a.result {
            StatementResult::Failed(e) => Some(format!("{}: {e}\n{}", a.object, a.sql)),
            _ => None,
        })
        .collect()
}

async fn mariadb(db: &str) -> Connection {
    let url = support::mysql_database(db).await;
    let p = Endpoint::parse_url(&url).unwrap();
    Connection::open(&p.endpoint, p.password).await.unwrap()
}

async fn sqlite_file(path: &std::path::Path) -> Connection {
    if path.exists() {
        std::fs::remove_file(path).unwrap();
    }
    let mut p = Endpoint::parse_url(&format!("sqlite://{}", path.display())).unwrap();
    p.endpoint.role = Role::Target;
    Connection::open(&p.endpoint, None).await.unwrap()
}

/// A table by name, whatever its case.
fn table<'a>(c: &'a Catalog, name: &str) -> &'a tugboat::model::Table {
    c.schemas
        .iter()
        .flat_map(|s| s.tables.iter())
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no table {name}"))
}

async fn catalog(conn: &Connection) -> Catalog {
    discover(
        conn,
        &DiscoverOptions {
            exact_counts: true,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn codes(r: &Report) -> Vec<String> {
    r.objects
        .iter()
        .flat_map(|o| o.action_items.iter().map(|a| a.code.clone()))
        .collect()
}

#[tokio::test]
async fn chinook_scripts_of_every_dialect_load_into_mariadb_and_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    for (file, dialect) in [
        ("chinook/Chinook_MySql.sql", Dialect::MySql),
        ("chinook/Chinook_SqlServer.sql", Dialect::MsSql),
        ("chinook/Chinook_Oracle.sql", Dialect::Oracle),
        ("chinook/Chinook_Sqlite.sql", Dialect::Sqlite),
        ("chinook/Chinook_PostgreSql.sql", Dialect::Postgres),
        ("chinook/Chinook_MySql_AutoIncrementPKs.sql", Dialect::MySql),
        (
            "chinook/Chinook_PostgreSql_SerialPKs.sql",
            Dialect::Postgres,
        ),
    ] {
        let Some(path) = support::corpus(file) else {
            return;
        };
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_start_matches('\u{feff}');
        let numbered = file.contains("AutoIncrement") || file.contains("Serial");
        for target in [Dialect::MySql, Dialect::Sqlite] {
            let report = convert_text(text, dialect, file, target);
            let tag = format!(
                "{}_{}{}",
                format!("{dialect:?}").to_lowercase(),
                format!("{target:?}").to_lowercase(),
                if numbered { "_n" } else { "" }
            );
            let conn = if target == Dialect::MySql {
                mariadb(&format!("tug_ck_{tag}")).await
            } else {
                sqlite_file(&dir.path().join(format!("{tag}.db"))).await
            };
            let results = apply(&report, &conn, None, true, |_, _| {}).await;
            assert!(
                failures(&results).is_empty(),
                "{file} → {target:?}: {:#?}",
                failures(&results)
            );
            let c = catalog(&conn).await;
            let n = c.counts();
            assert_eq!(
                (n.tables, n.foreign_keys, n.primary_keys),
                (11, 11, 11),
                "{file} → {target:?}: {n:?}"
            );
            let rows: i64 = c
                .schemas
                .iter()
                .flat_map(|s| s.tables.iter())
                .map(|t| t.stats.exact_rows.unwrap_or(0))
                .sum();
            assert_eq!(rows, 15_607, "{file} → {target:?}: every row is loaded");
            if target == Dialect::Sqlite {
                let broken = conn
                    .query("fk check", "PRAGMA foreign_key_check")
                    .await
                    .unwrap();
                assert!(broken.is_empty(), "{file}: rows without their parent");
            }
            // A new row without an id gets the next one where the source numbered its rows.
            let genre = table(&c, "genre");
            let (id_col, name_col) = (&genre.columns[0].name, &genre.columns[1].name);
            let q = |x: &str| {
                if target == Dialect::MySql {
                    format!("`{x}`")
                } else {
                    format!("\"{x}\"")
                }
            };
            if numbered {
                conn.execute(&format!(
                    "INSERT INTO {} ({}) VALUES ('Sea shanty')",
                    q(&genre.name),
                    q(name_col)
                ))
                .await
                .unwrap_or_else(|e| panic!("{file} → {target:?}: {e}"));
                let id = conn
                    .query_scalar(
                        "new id",
                        &format!(
                            "SELECT {} FROM {} WHERE {} = 'Sea shanty'",
                            q(id_col),
                            q(&genre.name),
                            q(name_col)
                        ),
                    )
                    .await
                    .unwrap();
                assert_eq!(id.as_deref(), Some("26"), "{file} → {target:?}");
            }
            // Text survives exactly: 4-byte-free but accented and quoted names.
            let artist = conn
                .query_scalar(
                    "artist",
                    &format!(
                        "SELECT {} FROM {} WHERE {} = 88",
                        q(&table(&c, "artist").columns[1].name),
                        q(&table(&c, "artist").name),
                        q(&table(&c, "artist").columns[0].name)
                    ),
                )
                .await
                .unwrap();
            assert_eq!(artist.as_deref(), Some("Guns N' Roses"), "{file}");
            // Running it again is safe.
            let again = apply(&report, &conn, None, false, |_, _| {}).await;
            assert!(
                failures(&again).is_empty(),
                "{file} → {target:?} again: {:#?}",
                failures(&again)
            );
            assert_eq!(catalog(&conn).await.counts().foreign_keys, 11);
            conn.close().await;
        }
    }
}

/// The PostgreSQL fixture (enum type, domain, identity and serial columns, arrays, jsonb, a
/// case-sensitive unique e-mail, expression, partial and GIN indexes, a trimming trigger, a view
/// and a materialized view) read live and created on MariaDB and SQLite.
#[tokio::test]
async fn live_postgres_schema_behaves_the_same_on_mariadb_and_sqlite() {
    let url = support::pg_database("tug_pg_to_x").await;
    support::psql_file("tug_pg_to_x", &support::fixture("pg_catalog.sql"));
    let p = Endpoint::parse_url(&url).unwrap();
    let source = tugboat::conversion::load_endpoint(&p.endpoint, p.password)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for target in [Dialect::MySql, Dialect::Sqlite] {
        let rules = RuleSet::shipped(Dialect::Postgres, target).unwrap();
        let report = convert(&source, target, &rules).unwrap();
        let codes = codes(&report);
        for code in ["TB1403", "TB1407", "TB1408", "TB2015"] {
            assert!(
                codes.contains(&code.to_string()),
                "{target:?}: {code} in {codes:?}"
            );
        }
        if target == Dialect::MySql {
            for code in ["TB1415", "TB1416", "TB1417", "TB1419"] {
                assert!(codes.contains(&code.to_string()), "{code} in {codes:?}");
            }
        }
        let conn = if target == Dialect::MySql {
            mariadb("tug_pg_to_my").await
        } else {
            sqlite_file(&dir.path().join("pg.db")).await
        };
        let results = apply(&report, &conn, None, false, |_, _| {}).await;
        assert!(
            failures(&results).is_empty(),
            "{target:?}: {:#?}",
            failures(&results)
        );
        let c = catalog(&conn).await;
        let mut tables: Vec<&str> = c
            .schemas
            .iter()
            .flat_map(|s| s.tables.iter().map(|t| t.name.as_str()))
            .collect();
        tables.sort();
        assert_eq!(
            tables,
            ["boats", "crew", "owners", "trips"],
            "{target:?}: the one schema in use lands in the target database"
        );
        let run = |sql: String| {
            let conn = &conn;
            async move { conn.execute(&sql).await }
        };
        // Identity columns number new rows.
        run("INSERT INTO owners (email) VALUES ('a@example.com')".into())
            .await
            .unwrap();
        // PostgreSQL compares text case-sensitively: 'A@…' is another e-mail there, and here.
        run("INSERT INTO owners (email) VALUES ('A@example.com')".into())
            .await
            .unwrap_or_else(|e| panic!("{target:?}: case-sensitive unique e-mail: {e}"));
        assert!(
            run("INSERT INTO owners (email) VALUES ('a@example.com')".into())
                .await
                .is_err(),
            "{target:?}: the unique constraint holds"
        );
        let owner = conn
            .query_scalar("id", "SELECT min(id) FROM owners")
            .await
            .unwrap()
            .unwrap();
        // The trigger trims names; the enum refuses other values; the boolean default holds.
        run(format!(
            "INSERT INTO boats (owner_id, name, kind, length_m, by_default) VALUES ({owner}, '  Smit Rotterdam  ', 'barge', 32.5, 1)"
        ))
        .await
        .unwrap_or_else(|e| panic!("{target:?}: {e}"));
        let name = conn
            .query_scalar("name", "SELECT name FROM boats")
            .await
            .unwrap();
        assert_eq!(
            name.as_deref(),
            Some("Smit Rotterdam"),
            "{target:?}: trigger"
        );
        assert!(
            run("INSERT INTO boats (name, kind, by_default) VALUES ('Sub', 'submarine', 2)".into())
                .await
                .is_err(),
            "{target:?}: a value outside the enum is refused"
        );
        let active = conn
            .query_scalar("active", "SELECT active FROM boats")
            .await
            .unwrap();
        assert_eq!(active.as_deref(), Some("1"), "{target:?}: boolean default");
        // Foreign keys hold.
        assert!(
            run("INSERT INTO crew (boat_id, seat, person) VALUES (999, 1, 'Nobody')".into())
                .await
                .is_err(),
            "{target:?}: crew needs a boat"
        );
        let via_view = conn
            .query_scalar(
                "view",
                "SELECT count(*) FROM v_boat_owners WHERE email = 'a@example.com'",
            )
            .await
            .unwrap();
        assert_eq!(via_view.as_deref(), Some("1"), "{target:?}: view");
        conn.close().await;
    }
}

/// The MySQL fixture script (unsigned keys, ENUM, SET, YEAR, BIT, zero-free defaults, ON UPDATE
/// CURRENT_TIMESTAMP, generated columns, spatial and full-text keys) into SQLite.
#[tokio::test]
async fn mysql_script_becomes_a_working_sqlite_file() {
    let text = std::fs::read_to_string(support::fixture("mysql_catalog.sql")).unwrap();
    let report = convert_text(&text, Dialect::MySql, "mysql_catalog.sql", Dialect::Sqlite);
    let codes = codes(&report);
    for code in ["TB1110", "TB1115", "TB1410", "TB1502", "TB2016", "TB1106"] {
        assert!(codes.contains(&code.to_string()), "{code} in {codes:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let conn = sqlite_file(&dir.path().join("my.db")).await;
    let results = apply(&report, &conn, None, true, |_, _| {}).await;
    assert!(failures(&results).is_empty(), "{:#?}", failures(&results));
    let c = catalog(&conn).await;
    assert_eq!(c.counts().tables, 3);
    let rows: Vec<i64> = ["owners", "boats", "crew"]
        .iter()
        .map(|t| c.table(t).unwrap().stats.exact_rows.unwrap_or(-1))
        .collect();
    assert_eq!(rows, [2, 2, 2]);
    // The generated column computes; ON UPDATE moves the timestamp; the enum check holds.
    let ft = conn
        .query_scalar(
            "ft",
            "SELECT round(length_ft, 2) FROM boats WHERE name = 'Smit Rotterdam'",
        )
        .await
        .unwrap();
    assert_eq!(ft.as_deref(), Some("106.63"));
    conn.execute("UPDATE boats SET updated = '2000-01-01 00:00:00'")
        .await
        .unwrap();
    conn.execute("UPDATE boats SET name = 'Renamed' WHERE boat_id = 1")
        .await
        .unwrap();
    let updated = conn
        .query_scalar("updated", "SELECT updated FROM boats WHERE boat_id = 1")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(!updated.starts_with("2000"), "ON UPDATE trigger: {updated}");
    assert!(
        conn.execute("UPDATE boats SET kind = 'submarine' WHERE boat_id = 1")
            .await
            .is_err()
    );
    conn.close().await;
}

/// Oracle's HR sample (its create, populate and code scripts, as SQL*Plus runs them): every
/// statement converts; PostgreSQL gets the PL/SQL procedures and triggers as PL/pgSQL (the
/// trigger the script disables stays disabled), MariaDB and SQLite get tables, keys and data.
#[tokio::test]
async fn oracle_hr_sample_converts_for_every_target() {
    let dir = "oracle-sample-schemas/oracle-samples-23c/human_resources";
    let mut text = String::new();
    for f in ["hr_create.sql", "hr_populate.sql", "hr_code.sql"] {
        let Some(p) = support::corpus(&format!("{dir}/{f}")) else {
            return;
        };
        text.push_str(&std::fs::read_to_string(p).unwrap());
        text.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    for target in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        let report = convert_text(&text, Dialect::Oracle, "hr.sql", target);
        let counts = report.statements.clone().unwrap();
        assert_eq!(counts.unparsed, 0, "{target:?}: {counts:?}");
        let open: Vec<String> = report
            .objects
            .iter()
            .filter(|o| {
                use tugboat::assessment::Category as C;
                let worth = if target == Dialect::Postgres {
                    o.category != C::Automatic
                } else {
                    // NUMBER without precision, MariaDB-only sequences: simple notes there; code
                    // objects and SQLite's missing sequences are explained, not converted.
                    !matches!(o.category, C::Automatic | C::Simple)
                };
                worth
                    && !(target != Dialect::Postgres
                        && matches!(
                            o.kind,
                            tugboat::ddl::ObjectKind::Procedure
                                | tugboat::ddl::ObjectKind::Trigger
                                | tugboat::ddl::ObjectKind::Sequence
                        ))
            })
            .map(|o| format!("{} {}: {:?}", o.kind.label(), o.name, o.action_items))
            .collect();
        assert!(open.is_empty(), "{target:?}: {open:#?}");
        let conn = match target {
            Dialect::Postgres => {
                let url = support::pg_database("tug_hr").await;
                let p = Endpoint::parse_url(&url).unwrap();
                Connection::open(&p.endpoint, p.password).await.unwrap()
            }
            Dialect::MySql => mariadb("tug_hr").await,
            _ => sqlite_file(&tmp.path().join("hr.db")).await,
        };
        let results = apply(&report, &conn, None, true, |_, _| {}).await;
        assert!(
            failures(&results).is_empty(),
            "{target:?}: {:#?}",
            failures(&results)
        );
        let n = |sql: &'static str| {
            let conn = &conn;
            async move { conn.query_scalar("count", sql).await.unwrap() }
        };
        assert_eq!(
            n("SELECT count(*) FROM employees").await.as_deref(),
            Some("107")
        );
        assert_eq!(
            n("SELECT count(*) FROM emp_details_view").await.as_deref(),
            Some("106"),
            "{target:?}: the view joins as on Oracle (one employee has no department)"
        );
        if target == Dialect::Postgres {
            // The row trigger calls the converted procedure; the office-hours trigger is off.
            conn.execute("UPDATE employees SET job_id = 'IT_PROG' WHERE employee_id = 100")
                .await
                .unwrap();
            assert_eq!(
                n("SELECT count(*) FROM job_history WHERE employee_id = 100")
                    .await
                    .as_deref(),
                Some("1")
            );
        }
        conn.close().await;
    }
}
