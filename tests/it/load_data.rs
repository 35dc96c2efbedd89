//! MySQL/MariaDB targets load through LOAD DATA LOCAL INFILE streamed from memory: values
//! arrive exactly (tabs, newlines, backslashes, `\N` as text, empty strings and NULLs, binary),
//! a value the server would alter (LOCAL turns its errors into warnings) rolls the load back
//! and fails the table with the server's words instead of landing altered, and a server with
//! `local_infile` off is loaded with INSERTs, said in the log and by `tugboat check`'s list.

use std::process::Command;

use crate::cdc::{open, scalar};
use crate::support;

fn migrate(src: &str, dst: &str, task: &str, include: &str) -> (bool, String) {
    migrate_with(src, dst, task, include, &[])
}

fn migrate_with(src: &str, dst: &str, task: &str, include: &str, extra: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tugboat"))
        .args([
            "migrate",
            "--source",
            src,
            "--target",
            dst,
            "--task",
            task,
            "--include",
            include,
        ])
        .args(extra)
        .output()
        .expect("tugboat runs");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[tokio::test]
async fn a_mysql_target_loads_through_load_data_and_never_alters_a_value_silently() {
    let server = support::own_mariadb();
    let admin = open(&server.url_for("")).await;
    for db in ["ld_ok", "ld_bad", "ld_off"] {
        admin
            .execute(&format!("CREATE DATABASE {db}"))
            .await
            .expect("database");
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("src.db");
    let src_url = format!("sqlite://{}", path.display());
    let src = {
        let mut p = tugboat::endpoints::Endpoint::parse_url(&src_url).expect("url");
        p.endpoint.role = tugboat::endpoints::Role::Target;
        tugboat::endpoints::Connection::open(&p.endpoint, p.password)
            .await
            .expect("sqlite")
    };
    src.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, b BLOB, n INTEGER);
         INSERT INTO t VALUES (1, 'tab' || char(9) || 'newline' || char(10) || 'back\\slash', X'00FF0A5C', 7),
                              (2, '\\N', X'', NULL), (3, '', NULL, -3), (4, NULL, X'09', 0);
         CREATE TABLE short (id INTEGER PRIMARY KEY, code VARCHAR(3));
         INSERT INTO short VALUES (1, 'abc'), (2, 'abcdef');
         CREATE TABLE many (id INTEGER PRIMARY KEY, v TEXT);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000)
           INSERT INTO many SELECT i, 'value ' || i FROM s;",
    )
    .await
    .expect("source rows");
    src.close().await;
    let com_load = |a: &tugboat::endpoints::Connection| {
        let a = a.clone();
        async move {
            a.query("status", "SHOW GLOBAL STATUS LIKE 'Com_load'")
                .await
                .expect("status")
                .first()
                .and_then(|r| r.at(1).and_then(|v| v.parse::<u64>().ok()))
                .unwrap_or(0)
        }
    };
    let before = com_load(&admin).await;
    let (ok, said) = migrate(&src_url, &server.url_for("ld_ok"), "ld", "main.t");
    assert!(ok, "{said}");
    assert!(
        com_load(&admin).await > before,
        "LOAD DATA was not used: {said}"
    );
    let rows = scalar(
        &admin,
        "SELECT group_concat(concat_ws('|', id, hex(s), coalesce(hex(b), 'null'), coalesce(n, 'null')) ORDER BY id SEPARATOR ';') FROM ld_ok.t",
    )
    .await;
    // (concat_ws leaves a NULL out: row 4's s.)
    assert_eq!(
        rows,
        format!(
            "1|{}|00FF0A5C|7;2|5C4E||null;3||null|-3;4|09|0",
            hex("tab\tnewline\nback\\slash")
        )
    );

    // Many statements (100 batches of 10 rows: 5 statements), two sessions taking turns: every
    // row once.
    let before = com_load(&admin).await;
    let (ok, said) = migrate_with(
        &src_url,
        &server.url_for("ld_ok"),
        "ld-many",
        "main.many",
        &["--batch-rows", "10"],
    );
    assert!(ok, "{said}");
    assert!(com_load(&admin).await >= before + 5, "{said}");
    assert_eq!(
        scalar(
            &admin,
            "SELECT concat(count(*), ' ', count(DISTINCT id), ' ', sum(id), ' ', sum(v = concat('value ', id))) FROM ld_ok.many"
        )
        .await,
        "1000 1000 500500 1000"
    );
    // A value the server would cut: the load rolled back, the table failed with why.
    let (ok, said) = migrate(&src_url, &server.url_for("ld_bad"), "ld", "main.short");
    assert!(!ok, "{said}");
    assert!(
        said.contains("would have altered or skipped rows"),
        "{said}"
    );
    assert_eq!(
        scalar(&admin, "SELECT count(*) FROM ld_bad.short").await,
        "0"
    );

    // local_infile off: INSERTs, said.
    admin
        .execute("SET GLOBAL local_infile = 0")
        .await
        .expect("off");
    let before = com_load(&admin).await;
    let (ok, said) = migrate(&src_url, &server.url_for("ld_off"), "ld", "main.t");
    assert!(ok, "{said}");
    assert!(said.contains("local_infile is off"), "{said}");
    assert_eq!(com_load(&admin).await, before);
    assert_eq!(scalar(&admin, "SELECT count(*) FROM ld_off.t").await, "4");
    admin.close().await;
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}
