//! Verified conversion, checked as a DBA would: what the report calls Automatic after
//! verification is applied on a fresh database of each target engine and must go in without an
//! error; what failed is never Automatic; and the verification leaves nothing behind.

use tugboat::assessment::{Category, Report};
use tugboat::conversion::apply::{StatementResult, apply, object_label};
use tugboat::conversion::{RuleSet, Source, convert, verify::verify};
use tugboat::ddl::{Dialect, parse_script};
use tugboat::endpoints::{Connection, Endpoint, Role};

use crate::support;

async fn open(url: &str) -> Connection {
    let p = Endpoint::parse_url(url).unwrap();
    let mut e = p.endpoint;
    e.role = Role::Target;
    Connection::open(&e, p.password).await.unwrap()
}

/// The report of `source` for `target`, verified on the test server of that engine (SQLite:
/// in memory).
async fn verified(source: &Source, target: Dialect) -> Report {
    let rules = RuleSet::shipped(source.dialect, target).unwrap();
    let mut report = convert(source, target, &rules).unwrap();
    let on = match target {
        Dialect::Postgres => Some(open(&support::pg().url_for("postgres")).await),
        Dialect::MySql => Some(open(&support::mysql().url_for("")).await),
        _ => None,
    };
    verify(source, &rules, &mut report, on.as_ref())
        .await
        .unwrap();
    if let Some(c) = on {
        c.close().await;
    }
    report
}

/// A fresh, empty database of `target`'s engine.
async fn fresh(target: Dialect, name: &str, dir: &std::path::Path) -> Connection {
    let url = match target {
        Dialect::Postgres => support::pg_database(name).await,
        Dialect::MySql => support::mysql_database(name).await,
        _ => format!("sqlite://{}", dir.join(format!("{name}.db")).display()),
    };
    open(&url).await
}

/// Applies the verified report for real: every statement that fails belongs to an object the
/// report did not call Automatic. Returns the number of objects rated Automatic.
async fn automatic_means_applied(source: &Source, target: Dialect, db: &str) -> usize {
    let report = verified(source, target).await;
    let v = report.verification.as_ref().expect("verified");
    for o in &report.objects {
        if o.verified == Some(false) {
            assert_ne!(o.category, Category::Automatic, "{}", object_label(o));
            assert!(o.action_items.iter().any(|a| a.code == "TB1900"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let conn = fresh(target, db, dir.path()).await;
    let results = apply(&report, &conn, None, false, |_, _| {}).await;
    conn.close().await;
    for a in &results {
        if let StatementResult::Failed(e) = &a.result {
            let rated = report
                .objects
                .iter()
                .filter(|o| object_label(o) == a.object);
            assert!(
                rated.clone().any(|o| o.category != Category::Automatic),
                "{} → {}: {} was rated Automatic ({}) but failed on apply: {e}\n{}",
                source.name,
                target.label(),
                a.object,
                v.summary(),
                a.sql
            );
        }
    }
    report
        .objects
        .iter()
        .filter(|o| o.category == Category::Automatic)
        .count()
}

/// A child declared before the parent whose UNIQUE key its foreign key references, a view on
/// a view, a sequence with no bounds, a default on a date column that no target can take.
const CASE: &str = "
CREATE TABLE child (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_code varchar(20) NOT NULL,
  seen datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  name varchar(40) BINARY NOT NULL,
  active tinyint(1) unsigned NOT NULL DEFAULT 1,
  stock int unsigned NOT NULL DEFAULT 0,
  CONSTRAINT child_parent FOREIGN KEY (parent_code) REFERENCES parent (code)
) ENGINE=InnoDB;
CREATE TABLE parent (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code varchar(20) NOT NULL,
  UNIQUE KEY parent_code (code)
) ENGINE=InnoDB;
CREATE VIEW v2 AS SELECT code FROM v1;
CREATE VIEW v1 AS SELECT p.code FROM parent p STRAIGHT_JOIN child c ON c.parent_code = p.code;
";

#[tokio::test]
async fn automatic_means_created_on_every_target_engine() {
    let source = Source::from_script(parse_script(CASE, Dialect::MySql, "case.sql"));
    for target in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        let report = verified(&source, target).await;
        // SQLite has its keys inside CREATE TABLE: the table carries it.
        if target != Dialect::Sqlite {
            let fk = report
                .objects
                .iter()
                .find(|o| o.name == "child_parent")
                .expect("foreign key reported");
            assert_eq!(
                fk.verified,
                Some(true),
                "{}: {:?}",
                target.label(),
                fk.action_items
            );
        }
        // STRAIGHT_JOIN is MySQL's: an inner join elsewhere, and v2 reads v1.
        for v in ["v1", "v2"] {
            let o = report.objects.iter().find(|o| o.name == v).unwrap();
            assert_eq!(
                o.verified,
                Some(true),
                "{} {v}: {:?}",
                target.label(),
                o.action_items
            );
        }
        let child = report.objects.iter().find(|o| o.name == "child").unwrap();
        assert_eq!(
            child.verified,
            Some(true),
            "{}: {:?}",
            target.label(),
            child.action_items
        );
        let db = format!(
            "verify_case_{}",
            target.label().split('/').next().unwrap_or("x")
        );
        let automatic = automatic_means_applied(&source, target, &db.to_lowercase()).await;
        assert!(automatic >= 2, "{}: {automatic} automatic", target.label());
    }
}

/// The scratch names a verification reports ("scratch database(s) a, b, dropped").
fn scratch_names(report: &Report) -> Vec<String> {
    let v = report.verification.as_ref().expect("verified");
    v.scratch
        .split([' ', ','])
        .filter(|w| w.starts_with("tugboat_verify_"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn verification_leaves_no_trace() {
    let source = Source::from_script(parse_script(CASE, Dialect::MySql, "case.sql"));
    let pg = verified(&source, Dialect::Postgres).await;
    let my = verified(&source, Dialect::MySql).await;
    let (pg_names, my_names) = (scratch_names(&pg), scratch_names(&my));
    assert_eq!(pg_names.len(), 1, "{:?}", pg.verification);
    assert!(!my_names.is_empty(), "{:?}", my.verification);
    let admin = open(&support::pg().url_for("postgres")).await;
    let list = |v: &[String]| {
        v.iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let left = admin
        .query_scalar(
            "left",
            &format!(
                "SELECT count(*) FROM pg_database WHERE datname IN ({})",
                list(&pg_names)
            ),
        )
        .await
        .unwrap();
    admin.close().await;
    assert_eq!(left.as_deref(), Some("0"));
    let admin = open(&support::mysql().url_for("")).await;
    let left = admin
        .query_scalar(
            "left",
            &format!(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ({})",
                list(&my_names)
            ),
        )
        .await
        .unwrap();
    admin.close().await;
    assert_eq!(left.as_deref(), Some("0"));
}

/// A PostgreSQL user who may not create databases: the statements are verified in a
/// transaction with the schemas renamed, rolled back.
#[tokio::test]
async fn postgres_without_createdb_verifies_in_a_rolled_back_transaction() {
    let url = support::pg_database("verify_nocreatedb").await;
    let admin = open(&url).await;
    for sql in [
        "DROP ROLE IF EXISTS tugboat_nocreatedb",
        "CREATE ROLE tugboat_nocreatedb LOGIN NOCREATEDB PASSWORD 'pw-nocreatedb'",
        "GRANT CREATE ON DATABASE verify_nocreatedb TO tugboat_nocreatedb",
    ] {
        admin.execute(sql).await.unwrap();
    }
    let s = support::pg();
    let user_url = format!(
        "postgres://tugboat_nocreatedb:pw-nocreatedb@{}:{}/verify_nocreatedb",
        s.host, s.port
    );
    let source = Source::from_script(parse_script(CASE, Dialect::MySql, "case.sql"));
    let rules = RuleSet::shipped(Dialect::MySql, Dialect::Postgres).unwrap();
    let mut report = convert(&source, Dialect::Postgres, &rules).unwrap();
    let conn = open(&user_url).await;
    verify(&source, &rules, &mut report, Some(&conn))
        .await
        .unwrap();
    conn.close().await;
    let v = report.verification.unwrap();
    assert!(v.scratch.contains("renamed"), "{}", v.scratch);
    let child = report.objects.iter().find(|o| o.name == "child").unwrap();
    assert_eq!(child.verified, Some(true), "{:?}", child.action_items);
    let left = admin
        .query_scalar(
            "left",
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tugboat_verify%'",
        )
        .await
        .unwrap();
    admin.close().await;
    assert_eq!(left.as_deref(), Some("0"));
}

/// The schemas of real applications (`apps/`, five dialects), to every target: what
/// verification calls Automatic applies on a fresh database of that engine.
#[tokio::test]
async fn apps_corpus_automatic_means_applied() {
    let files = support::corpus_files("apps");
    if files.is_empty() {
        return;
    }
    assert!(files.len() >= 60, "{} files", files.len());
    for (i, f) in files.iter().enumerate() {
        let source = tugboat::conversion::load_script(f, None).unwrap();
        for target in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
            let db = format!("verify_apps_{i}_{}", target as u8);
            automatic_means_applied(&source, target, &db).await;
        }
    }
    if let Some(p) = support::corpus("sakila/mysql-official/sakila-schema.sql") {
        let source = tugboat::conversion::load_script(&p, None).unwrap();
        for target in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
            automatic_means_applied(&source, target, &format!("verify_sakila_{}", target as u8))
                .await;
        }
    }
}

/// SQLite's clock defaults (`datetime('now', '+7 days')`, `strftime('%s', 'now')`...) and a
/// stamp trigger (`UPDATE t SET stamped = datetime('now') WHERE rowid = NEW.rowid`) arrive on
/// PostgreSQL and MariaDB as defaults and a BEFORE trigger that give what SQLite gives: UTC
/// times, the offset applied. Checked by inserting a row on each engine, SQLite included.
#[tokio::test]
async fn sqlite_clock_defaults_and_stamp_triggers_mean_the_same_on_postgres_and_mariadb() {
    const SCRIPT: &str = "
CREATE TABLE ev (
  id INTEGER PRIMARY KEY,
  note TEXT,
  at_now TEXT DEFAULT (datetime('now')),
  in_week DATETIME DEFAULT (datetime('now', '+7 days')),
  epoch INTEGER DEFAULT (strftime('%s', 'now')),
  stamped TIMESTAMP
);
CREATE TRIGGER ev_stamp AFTER INSERT ON ev BEGIN
  UPDATE ev SET stamped = datetime('now', '-1 hours') WHERE rowid = NEW.rowid;
END;
";
    let dir = tempfile::tempdir().unwrap();
    let source = Source::from_script(parse_script(SCRIPT, Dialect::Sqlite, "clock.sql"));
    // Seconds from now (UTC) of each column of the row inserted, on one engine.
    async fn offsets(conn: &Connection, engine: Dialect) -> Vec<i64> {
        conn.execute("INSERT INTO ev (id, note) VALUES (1, 'x')")
            .await
            .unwrap();
        let epoch = |c: &str| match engine {
            Dialect::Postgres => {
                format!("CAST(extract(epoch FROM CAST({c} AS timestamp)) AS bigint)")
            }
            Dialect::MySql => format!("TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {c})"),
            _ => format!("CAST(strftime('%s', {c}) AS INTEGER)"),
        };
        let sql = format!(
            "SELECT {}, {}, epoch, {} FROM ev",
            epoch("at_now"),
            epoch("in_week"),
            epoch("stamped")
        );
        let rows = conn.query_text(&sql).await.unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        (0..4)
            .map(|i| rows[0].at(i).expect("a value").parse::<i64>().unwrap() - now)
            .collect()
    }
    let native = fresh(Dialect::Sqlite, "clock_native", dir.path()).await;
    native.execute(SCRIPT).await.unwrap();
    let expected = offsets(&native, Dialect::Sqlite).await;
    native.close().await;
    for target in [Dialect::Postgres, Dialect::MySql] {
        let report = verified(&source, target).await;
        for o in &report.objects {
            assert_eq!(
                o.category,
                Category::Automatic,
                "{} on {}: {:?}",
                object_label(o),
                target.label(),
                o.action_items
            );
        }
        // The report says what became of the trigger.
        let stamp = report
            .objects
            .iter()
            .find(|o| o.name == "ev_stamp")
            .unwrap();
        assert!(
            stamp.action_items.iter().any(|a| a.code == "TB2019"),
            "{:?}",
            stamp.action_items
        );
        let conn = fresh(target, &format!("clock_{}", target as u8), dir.path()).await;
        for a in apply(&report, &conn, None, false, |_, _| {}).await {
            assert!(
                matches!(a.result, StatementResult::Ok),
                "{}: {:?}",
                a.sql,
                a.result
            );
        }
        let got = offsets(&conn, target).await;
        conn.close().await;
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert!(
                (g - e).abs() <= 5,
                "{}: column {i} is {g} s from now, on SQLite {e} s",
                target.label()
            );
        }
    }
}

/// PostgreSQL expression indexes SQLite cannot hold (full text on `to_tsvector(...::regconfig)`,
/// `normalize()`) are not created, each with its reason; the others are, verified.
#[tokio::test]
async fn postgres_expression_indexes_sqlite_cannot_hold_are_reported_not_failed() {
    const SCRIPT: &str = "
CREATE TABLE doc (id integer PRIMARY KEY, title text NOT NULL, lang text);
CREATE INDEX doc_fts ON doc USING gin (to_tsvector('english'::regconfig, title));
CREATE INDEX doc_norm ON doc (normalize(title, NFKC));
CREATE UNIQUE INDEX doc_key ON doc (coalesce(lang, ''::text), lower(title));
";
    let source = Source::from_script(parse_script(SCRIPT, Dialect::Postgres, "doc.sql"));
    let report = verified(&source, Dialect::Sqlite).await;
    assert_eq!(report.verification.as_ref().unwrap().objects_failed, 0);
    let index = |n: &str| {
        report
            .objects
            .iter()
            .find(|o| o.name == n)
            .unwrap_or_else(|| panic!("{n} reported"))
    };
    for (n, code) in [("doc_fts", "TB1417"), ("doc_norm", "TB1415")] {
        let o = index(n);
        assert!(o.target.is_empty(), "{n} is not created");
        assert!(
            o.action_items.iter().any(|a| a.code == code),
            "{n}: {:?}",
            o.action_items
        );
    }
    let key = index("doc_key");
    assert_eq!(key.category, Category::Automatic, "{:?}", key.action_items);
    assert_eq!(key.verified, Some(true));
}
