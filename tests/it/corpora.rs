//! Conformance on the real public sample schemas in `../shared/corpora`: what `tugboat inspect`
//! finds must match the published object counts and the catalogs' own counts.

use tugboat::endpoints::{Connection, Endpoint};
use tugboat::engines::discover::{DiscoverOptions, discover};

use crate::support;

#[tokio::test]
async fn sakila_on_mariadb_matches_the_published_counts() {
    let (Some(schema), Some(data)) = (
        support::corpus("sakila/mysql-official/sakila-schema.sql"),
        support::corpus("sakila/mysql-official/sakila-data.sql"),
    ) else {
        return;
    };
    support::mysql_database("sakila").await;
    support::mysql_file("", &schema);
    support::mysql_file("", &data);
    let (ep, pw) = support::mysql().endpoint("sakila");
    let conn = Connection::open(&ep, pw).await.unwrap();
    let c = discover(
        &conn,
        &DiscoverOptions {
            exact_counts: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    conn.close().await;
    let n = c.counts();
    assert_eq!(
        (
            n.tables,
            n.views,
            n.procedures,
            n.functions,
            n.triggers,
            n.foreign_keys,
            n.primary_keys
        ),
        (16, 7, 3, 3, 6, 22, 16),
        "{n:?}"
    );
    let film = c.table("film").unwrap();
    assert_eq!(film.stats.exact_rows, Some(1000));
    assert_eq!(
        film.column("rating").unwrap().data_type.values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    assert_eq!(c.table("payment").unwrap().stats.exact_rows, Some(16049));
    let ft = c
        .table("film_text")
        .unwrap()
        .indexes
        .iter()
        .find(|i| i.name == "idx_title_description")
        .unwrap()
        .clone();
    assert_eq!(ft.method.as_deref(), Some("fulltext"));
}

#[tokio::test]
async fn sakila_postgres_port_matches_the_catalog() {
    let Some(schema) = support::corpus("sakila/jooq/postgres-sakila-db/postgres-sakila-schema.sql")
    else {
        return;
    };
    let url = support::pg_database("sakila").await;
    support::psql_file("sakila", &schema);
    let p = Endpoint::parse_url(&url).unwrap();
    let conn = Connection::open(&p.endpoint, p.password).await.unwrap();
    let c = discover(&conn, &DiscoverOptions::default()).await.unwrap();
    let n = c.counts();
    // The catalog's own counts, asked independently.
    let count = |sql: &'static str| {
        let conn = conn.clone();
        async move {
            conn.query_scalar("oracle", sql)
                .await
                .unwrap()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        }
    };
    assert_eq!(n.tables, count("SELECT count(*) FROM pg_class WHERE relkind IN ('r','p') AND relnamespace = 'public'::regnamespace").await);
    assert_eq!(n.views, count("SELECT count(*) FROM pg_class WHERE relkind IN ('v','m') AND relnamespace = 'public'::regnamespace").await);
    assert_eq!(n.foreign_keys, count("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace").await);
    assert_eq!(
        n.triggers,
        count("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal").await
    );
    assert_eq!(n.functions + n.procedures, count("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prokind IN ('f','p')").await);
    assert_eq!(
        n.sequences,
        count("SELECT count(*) FROM pg_sequences WHERE schemaname = 'public'").await
    );
    conn.close().await;
    // And the published shape of Sakila.
    assert_eq!((n.views, n.types), (7, 2), "{n:?}");
    assert!(n.tables >= 15 && n.primary_keys >= 15, "{n:?}");
    let film = c.table("film").unwrap();
    assert_eq!(
        film.column("rating").unwrap().data_type.values,
        ["G", "PG", "PG-13", "R", "NC-17"]
    );
    assert_eq!(
        film.column("special_features")
            .unwrap()
            .data_type
            .array_dims,
        1
    );
    assert!(
        c.table("payment_p2007_01")
            .unwrap()
            .storage
            .as_deref()
            .unwrap_or_default()
            .contains("inherits payment")
    );
}

#[tokio::test]
async fn chinook_sqlite_has_eleven_tables_and_eleven_foreign_keys() {
    let Some(path) = support::corpus("chinook/Chinook_Sqlite.sqlite") else {
        return;
    };
    let ep = Endpoint::parse_url(&format!("sqlite://{}", path.display()))
        .unwrap()
        .endpoint;
    let conn = Connection::open(&ep, None).await.unwrap();
    let c = discover(&conn, &DiscoverOptions::default()).await.unwrap();
    let n = c.counts();
    assert_eq!(
        (n.tables, n.foreign_keys, n.primary_keys),
        (11, 11, 11),
        "{n:?}"
    );
    let track = c.table("Track").unwrap();
    assert_eq!(track.stats.estimated_rows, Some(3503));
    assert_eq!(
        track.primary_key.as_ref().unwrap().name.as_deref(),
        Some("PK_Track")
    );
    let price = &track.column("UnitPrice").unwrap().data_type;
    assert_eq!(
        (price.name.as_str(), price.precision, price.scale),
        ("numeric", Some(10), Some(2))
    );
    let pl = c.table("PlaylistTrack").unwrap();
    assert_eq!(
        pl.primary_key.as_ref().unwrap().columns,
        ["PlaylistId", "TrackId"]
    );
}

/// The ledger of every corpus file, to every target: each statement read has exactly one
/// outcome and none is unaccounted for.
#[test]
fn every_statement_of_every_corpus_file_is_accounted_for() {
    use tugboat::assessment::LedgerOutcome;
    use tugboat::ddl::Dialect;
    let files = support::corpus_files("");
    let mut gaps = vec![];
    for f in &files {
        let source = tugboat::conversion::load_script(f, None).unwrap();
        for target in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
            let r = tugboat::conversion::assess(&source, target, None).unwrap();
            let read = r.statements.as_ref().map(|s| s.read).unwrap_or(0);
            let totals = r.ledger_totals();
            assert_eq!(r.ledger.len(), read, "{}", f.display());
            assert_eq!(totals.iter().sum::<usize>(), read, "{}", f.display());
            for e in r
                .ledger
                .iter()
                .filter(|e| e.outcome == LedgerOutcome::Unaccounted)
            {
                gaps.push(format!(
                    "{}:{} {} ({})",
                    f.display(),
                    e.line,
                    e.statement,
                    target.label()
                ));
            }
        }
    }
    assert!(
        files.len() > 600 || files.is_empty(),
        "{} files",
        files.len()
    );
    assert!(
        gaps.is_empty(),
        "{} unaccounted:\n{}",
        gaps.len(),
        gaps.join("\n")
    );
}
