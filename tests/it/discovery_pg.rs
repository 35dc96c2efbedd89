//! PostgreSQL discovery of the fixture schema.

use tugboat::endpoints::{Connection, Endpoint};
use tugboat::engines::discover::{DiscoverOptions, discover};
use tugboat::model::*;

use crate::support;

#[tokio::test]
async fn postgres_fixture_is_read_completely() {
    let url = support::pg_database("tug_fixture").await;
    support::psql_file("tug_fixture", &support::fixture("pg_catalog.sql"));
    let p = Endpoint::parse_url(&url).unwrap();
    let conn = Connection::open(&p.endpoint, p.password).await.unwrap();
    let c = discover(&conn, &DiscoverOptions::default()).await.unwrap();
    conn.close().await;

    let names: Vec<&str> = c.schemas.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["fleet", "public"]);
    let s = c.schema("fleet").unwrap();
    let tables: Vec<&str> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        tables,
        ["boats", "crew", "owners", "trips"],
        "partitions fold into their parent"
    );
    assert_eq!(
        c.table("trips").unwrap().storage.as_deref(),
        Some("partitioned (2 partitions)")
    );

    let kinds: Vec<(&str, bool)> = s
        .types
        .iter()
        .map(|t| (t.name.as_str(), matches!(t.kind, UserTypeKind::Enum { .. })))
        .collect();
    assert_eq!(kinds, [("boat_kind", true), ("positive_numeric", false)]);
    match &s.types[1].kind {
        UserTypeKind::Domain {
            base,
            nullable,
            checks,
            ..
        } => {
            assert_eq!(base, "numeric(12,3)");
            assert!(!nullable);
            assert!(checks[0].contains(">= "), "{checks:?}");
        }
        other => panic!("{other:?}"),
    }

    let owners = c.table("owners").unwrap();
    assert_eq!(owners.comment.as_deref(), Some("people who own boats"));
    let id = owners.column("id").unwrap();
    assert_eq!(
        id.identity,
        Some(Identity::Identity {
            always: true,
            start: Some(1000),
            increment: Some(10)
        })
    );
    assert_eq!(
        owners.column("email").unwrap().collation.as_deref(),
        Some("C")
    );
    assert_eq!(
        owners.column("email").unwrap().comment.as_deref(),
        Some("login e-mail")
    );
    assert_eq!(owners.unique_constraints[0].columns, ["email"]);
    assert!(
        owners.indexes.is_empty(),
        "indexes backing constraints are not listed twice"
    );

    let boats = c.table("boats").unwrap();
    let col = |n: &str| boats.column(n).unwrap_or_else(|| panic!("column {n}"));
    assert_eq!(
        col("boat_id").identity,
        Some(Identity::Serial {
            sequence: "fleet.boats_boat_id_seq".into()
        })
    );
    let kind = &col("kind").data_type;
    assert_eq!(
        (kind.name.as_str(), kind.type_schema.as_deref()),
        ("boat_kind", Some("fleet"))
    );
    assert_eq!(kind.values, ["tug", "barge", "pilot's boat"]);
    assert_eq!(col("tonnage").data_type.name, "positive_numeric");
    assert_eq!(col("flags").data_type.length, Some(4));
    let ts = &col("serviced").data_type;
    assert_eq!(
        (ts.name.as_str(), ts.fractional_seconds),
        ("timestamp with time zone", Some(3))
    );
    assert_eq!(col("tags").data_type.array_dims, 1);
    assert_eq!(col("tags").data_type.name, "text");
    assert_eq!(col("readings").data_type.name, "double precision");
    assert_eq!(col("uid").default.as_deref(), Some("gen_random_uuid()"));
    let lm = &col("length_m").data_type;
    assert_eq!((lm.precision, lm.scale), (Some(6), Some(2)));
    let g = col("length_ft").generated.as_ref().unwrap();
    assert!(g.stored && g.expression.contains("length_m"), "{g:?}");
    assert_eq!(
        col("by_default").identity,
        Some(Identity::Identity {
            always: false,
            start: Some(1),
            increment: Some(1)
        })
    );
    assert!(boats.stats.estimated_rows == Some(2), "{:?}", boats.stats);

    let ck = &boats.check_constraints[0];
    assert_eq!(ck.name.as_deref(), Some("ck_boats_name"));
    let fk = &boats.foreign_keys[0];
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (ReferentialAction::SetNull, ReferentialAction::Cascade)
    );
    let ix = |n: &str| {
        boats
            .indexes
            .iter()
            .find(|i| i.name == n)
            .unwrap_or_else(|| panic!("index {n}"))
    };
    assert_eq!(
        ix("ix_boats_lower_name").parts[0].expression.as_deref(),
        Some("lower(name::text)")
    );
    let partial = ix("ix_boats_active_launched");
    assert_eq!(partial.predicate.as_deref(), Some("active"));
    assert!(partial.parts[0].descending);
    assert_eq!(ix("ix_boats_tags").method.as_deref(), Some("gin"));
    assert!(ix("ux_boats_uid").unique);

    let crew = c.table("crew").unwrap();
    assert_eq!(crew.foreign_keys[0].referenced_columns, ["boat_id"]);
    assert_eq!(crew.foreign_keys[0].on_delete, ReferentialAction::Cascade);

    let seq: Vec<&Sequence> = s.sequences.iter().collect();
    let ticket = seq.iter().find(|q| q.name == "ticket_seq").unwrap();
    assert_eq!(
        (
            ticket.start,
            ticket.increment,
            ticket.last_value,
            ticket.next_value
        ),
        (Some(100), Some(5), Some(105), Some(110))
    );
    let serial = seq.iter().find(|q| q.name == "boats_boat_id_seq").unwrap();
    assert_eq!(serial.owned_by.as_deref(), Some("boats.boat_id"));
    assert!(
        !seq.iter().any(|q| q.name.contains("owners_id")),
        "identity sequences stay on their column"
    );

    let views: Vec<(&str, bool)> = s
        .views
        .iter()
        .map(|v| (v.name.as_str(), v.materialized))
        .collect();
    assert_eq!(views, [("mv_boat_count", true), ("v_boat_owners", false)]);
    assert_eq!(s.views[1].columns, ["boat_id", "name", "email"]);

    let f = s.routines.iter().find(|r| r.name == "boat_label").unwrap();
    assert_eq!(
        (f.kind, f.return_type.as_deref(), f.language.as_deref()),
        (RoutineKind::Function, Some("text"), Some("sql"))
    );
    assert_eq!(f.parameters[0].name.as_deref(), Some("p_id"));
    let pr = s.routines.iter().find(|r| r.name == "retire").unwrap();
    assert_eq!(pr.kind, RoutineKind::Procedure);
    let modes: Vec<&str> = pr.parameters.iter().map(|p| p.mode.as_str()).collect();
    assert_eq!(modes, ["IN", "INOUT"]);
    assert!(
        pr.definition
            .as_deref()
            .unwrap()
            .contains("CREATE OR REPLACE PROCEDURE")
    );

    let tr = &s.triggers[0];
    assert_eq!(
        (tr.name.as_str(), tr.table.as_str(), tr.timing),
        ("trg_boats_name", "boats", TriggerTiming::Before)
    );
    assert_eq!(tr.events, [TriggerEvent::Insert, TriggerEvent::Update]);
    assert!(tr.for_each_row);
    assert_eq!(tr.condition.as_deref(), Some("new.name IS NOT NULL"));
    assert!(tr.body.contains("fleet.trg_trim_name"));
}

/// A live PostgreSQL source to PostgreSQL: its extensions are created first and its indexes
/// keep their operator classes; verified on the server.
#[tokio::test]
async fn live_extensions_and_operator_classes_carry_to_postgres() {
    let url = support::pg_database("tug_opclass").await;
    let p = Endpoint::parse_url(&url).unwrap();
    let conn = Connection::open(&p.endpoint, p.password).await.unwrap();
    conn.execute(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE a (t text, u int); CREATE INDEX a_t ON a USING gin (t gin_trgm_ops); CREATE INDEX a_u ON a (u DESC, t text_pattern_ops)",
    )
    .await
    .unwrap();
    let catalog = discover(&conn, &DiscoverOptions::default()).await.unwrap();
    assert!(catalog.extensions.iter().any(|(n, _)| n == "pg_trgm"));
    let source = tugboat::conversion::Source::from_catalog(&url, catalog);
    let rules = tugboat::conversion::RuleSet::shipped(
        tugboat::ddl::Dialect::Postgres,
        tugboat::ddl::Dialect::Postgres,
    )
    .unwrap();
    let mut report =
        tugboat::conversion::convert(&source, tugboat::ddl::Dialect::Postgres, &rules).unwrap();
    tugboat::conversion::verify::verify(&source, &rules, &mut report, Some(&conn))
        .await
        .unwrap();
    conn.close().await;
    let sql = |name: &str| {
        report
            .objects
            .iter()
            .find(|o| o.name == name)
            .map(|o| {
                (
                    o.verified,
                    o.target.iter().map(|t| t.sql.clone()).collect::<Vec<_>>(),
                )
            })
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let (v, s) = sql("a_t");
    assert_eq!(v, Some(true), "{s:?}");
    assert!(s[0].contains("gin (t gin_trgm_ops)"), "{s:?}");
    assert!(sql("a_u").1[0].contains("t text_pattern_ops"));
    assert_eq!(sql("pg_trgm").0, Some(true));
}
