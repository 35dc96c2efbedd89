//! MariaDB discovery of the fixture schema: types, keys, indexes and code objects as a DBA sees them.

use tugboat::endpoints::{Connection, Endpoint};
use tugboat::engines::discover::{DiscoverOptions, discover};
use tugboat::model::*;

use crate::support;

async fn catalog() -> Catalog {
    let url = support::mysql_database("tug_fixture").await;
    support::mysql_file("tug_fixture", &support::fixture("mysql_catalog.sql"));
    let p = Endpoint::parse_url(&url).unwrap();
    let conn = Connection::open(&p.endpoint, p.password).await.unwrap();
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
    c
}

#[tokio::test]
async fn mariadb_fixture_is_read_completely() {
    let c = catalog().await;
    assert_eq!(c.engine, Some(tugboat::endpoints::Engine::MariaDb));
    assert_eq!(c.schemas.len(), 1);
    let s = &c.schemas[0];
    assert_eq!(s.name, "tug_fixture");
    let names: Vec<&str> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["boats", "crew", "owners"],
        "sequences are not tables"
    );

    let owners = c.table("owners").unwrap();
    assert_eq!(owners.comment.as_deref(), Some("people who own boats"));
    let id = owners.column("id").unwrap();
    assert_eq!(
        (id.data_type.name.as_str(), id.data_type.unsigned),
        ("bigint", true)
    );
    assert_eq!(
        id.identity,
        Some(Identity::AutoIncrement {
            next_value: Some(1003)
        })
    );
    let email = owners.column("email").unwrap();
    assert_eq!(email.data_type.length, Some(190));
    assert_eq!(email.collation.as_deref(), Some("utf8mb4_bin"));
    assert_eq!(email.comment.as_deref(), Some("login e-mail"));
    assert_eq!(
        owners.column("display_name").unwrap().default.as_deref(),
        Some("'anonymous'")
    );
    assert_eq!(owners.stats.exact_rows, Some(2));
    let uq = owners
        .indexes
        .iter()
        .find(|i| i.name == "uq_owners_email")
        .unwrap();
    assert!(uq.unique);

    let boats = c.table("boats").unwrap();
    let col = |n: &str| boats.column(n).unwrap_or_else(|| panic!("column {n}"));
    assert_eq!(col("active").data_type.declared, "tinyint(1)");
    assert_eq!(col("flags").data_type.length, Some(4));
    let t = &col("tonnage").data_type;
    assert_eq!(
        (t.precision, t.scale, t.unsigned),
        (Some(12), Some(3), true)
    );
    assert_eq!(col("serviced").data_type.fractional_seconds, Some(3));
    assert_eq!(col("built").data_type.name, "year");
    assert_eq!(
        col("updated")
            .on_update
            .as_deref()
            .map(str::to_lowercase)
            .as_deref(),
        Some("current_timestamp()")
    );
    assert_eq!(
        col("kind").data_type.values,
        ["tug", "barge", "pilot's boat"]
    );
    assert_eq!(col("kind").default.as_deref(), Some("'tug'"));
    assert_eq!(
        col("features").data_type.values,
        ["radar", "winch", "fire pump"]
    );
    assert_eq!(
        col("specs").data_type.name,
        "json",
        "MariaDB's JSON alias is recognised"
    );
    assert!(col("specs").nullable);
    assert_eq!(col("photo").data_type.name, "mediumblob");
    let g = col("length_ft").generated.as_ref().expect("generated");
    assert!(!g.stored && g.expression.contains("length_m"), "{g:?}");
    assert!(col("name_upper").generated.as_ref().unwrap().stored);
    assert_eq!(col("position").data_type.name, "point");

    assert_eq!(boats.primary_key.as_ref().unwrap().columns, ["boat_id"]);
    let ix = |n: &str| {
        boats
            .indexes
            .iter()
            .find(|i| i.name == n)
            .unwrap_or_else(|| panic!("index {n}"))
    };
    assert_eq!(ix("ix_boats_name_prefix").parts[0].prefix_length, Some(10));
    assert_eq!(ix("ft_boats_notes").method.as_deref(), Some("fulltext"));
    assert_eq!(ix("sp_boats_position").method.as_deref(), Some("spatial"));
    let multi = ix("ix_boats_owner_launched");
    assert_eq!(
        multi
            .parts
            .iter()
            .map(|p| p.column.clone().unwrap())
            .collect::<Vec<_>>(),
        ["owner_id", "launched"]
    );
    let ck = boats
        .check_constraints
        .iter()
        .find(|c| c.name.as_deref() == Some("ck_boats_tonnage"))
        .unwrap();
    assert!(ck.expression.contains("1000000"));
    assert!(
        !boats
            .check_constraints
            .iter()
            .any(|c| c.expression.contains("json_valid"))
    );
    let fk = &boats.foreign_keys[0];
    assert_eq!(fk.name.as_deref(), Some("fk_boats_owner"));
    assert_eq!(
        (fk.referenced_table.as_str(), fk.referenced_columns.clone()),
        ("owners", vec!["id".to_string()])
    );
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (ReferentialAction::SetNull, ReferentialAction::Cascade)
    );

    let crew = c.table("crew").unwrap();
    assert_eq!(
        crew.primary_key.as_ref().unwrap().columns,
        ["boat_id", "seat"]
    );
    assert_eq!(crew.foreign_keys[0].on_delete, ReferentialAction::Cascade);

    let v = &s.views[0];
    assert_eq!(
        (v.name.as_str(), v.columns.clone()),
        (
            "v_boat_owners",
            vec!["boat_id".into(), "name".into(), "email".into()]
        )
    );
    assert!(v.definition.to_lowercase().contains("select"));

    let p = s.routines.iter().find(|r| r.name == "crew_count").unwrap();
    assert_eq!(p.kind, RoutineKind::Procedure);
    let modes: Vec<(&str, &str)> = p
        .parameters
        .iter()
        .map(|x| (x.mode.as_str(), x.name.as_deref().unwrap()))
        .collect();
    assert_eq!(modes, [("IN", "p_boat"), ("OUT", "p_count")]);
    assert!(p.body.contains("SELECT COUNT(*)"));
    assert!(
        p.definition
            .as_deref()
            .unwrap_or_default()
            .contains("CREATE"),
        "{p:?}"
    );
    let f = s.routines.iter().find(|r| r.name == "boat_label").unwrap();
    assert_eq!(f.kind, RoutineKind::Function);
    assert_eq!(f.return_type.as_deref(), Some("varchar(120)"));
    assert_eq!(f.deterministic, Some(true));

    let tr = &s.triggers[0];
    assert_eq!(
        (tr.name.as_str(), tr.table.as_str()),
        ("trg_boats_name", "boats")
    );
    assert_eq!(
        (tr.timing, tr.events.clone()),
        (TriggerTiming::Before, vec![TriggerEvent::Insert])
    );
    assert!(tr.body.contains("TRIM"));

    let q = &s.sequences[0];
    assert_eq!(
        (q.name.as_str(), q.start, q.increment),
        ("ticket_seq", Some(100), Some(5))
    );

    let n = c.counts();
    assert_eq!(
        (
            n.tables,
            n.views,
            n.procedures,
            n.functions,
            n.triggers,
            n.sequences,
            n.foreign_keys
        ),
        (3, 1, 1, 1, 1, 1, 2)
    );
}

#[tokio::test]
async fn mariadb_without_a_database_lists_every_user_database() {
    support::mysql_database("tug_listing_a").await;
    support::mysql_database("tug_listing_b").await;
    let (ep, pw) = support::mysql().endpoint("");
    let conn = Connection::open(&ep, pw).await.unwrap();
    let c = discover(&conn, &DiscoverOptions::default()).await.unwrap();
    let names: Vec<&str> = c.schemas.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"tug_listing_a") && names.contains(&"tug_listing_b"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"mysql") && !names.contains(&"information_schema"),
        "{names:?}"
    );
    let only = discover(
        &conn,
        &DiscoverOptions {
            schemas: vec!["tug_listing_b".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        only.schemas
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["tug_listing_b"]
    );
}
