//! SQLite discovery, on the embedded demo database.

use tugboat::endpoints::{Connection, Endpoint};
use tugboat::engines::discover::{DiscoverOptions, discover};
use tugboat::model::*;

pub async fn demo_db(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("harbor.sqlite");
    tugboat::demo::ensure_demo_database(&path)
        .await
        .expect("demo database builds");
    path
}

#[tokio::test]
async fn demo_database_is_read_completely() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_db(dir.path()).await;
    let ep = Endpoint::parse_url(&format!("sqlite://{}", path.display()))
        .unwrap()
        .endpoint;
    let conn = Connection::open(&ep, None).await.unwrap();
    let c = discover(&conn, &DiscoverOptions::default()).await.unwrap();
    let n = c.counts();
    assert_eq!(
        (
            n.tables,
            n.views,
            n.triggers,
            n.primary_keys,
            n.unique_constraints,
            n.check_constraints,
            n.indexes,
            n.foreign_keys
        ),
        (7, 1, 1, 7, 5, 3, 6, 6)
    );
    let jobs = c.table("tug_jobs").unwrap();
    assert_eq!(jobs.stats.estimated_rows, Some(4000));
    let id = jobs.column("job_id").unwrap();
    assert_eq!(
        id.identity,
        Some(Identity::Rowid {
            autoincrement: false
        })
    );
    assert!(!id.nullable);
    let fee = &jobs.column("fee").unwrap().data_type;
    assert_eq!(
        (fee.name.as_str(), fee.precision, fee.scale),
        ("decimal", Some(10), Some(2))
    );
    assert_eq!(
        jobs.column("status").unwrap().default.as_deref(),
        Some("'planned'")
    );
    let g = jobs
        .column("duration_min")
        .unwrap()
        .generated
        .as_ref()
        .unwrap();
    assert!(
        !g.stored && g.expression.starts_with("CAST((julianday(finished_at)"),
        "{g:?}"
    );
    let ck = &jobs.check_constraints[0];
    assert_eq!(ck.name.as_deref(), Some("ck_tug_jobs_status"));
    assert!(ck.expression.contains("'in_progress'"));
    let ix = jobs
        .indexes
        .iter()
        .find(|i| i.name == "ix_jobs_port_time")
        .unwrap();
    assert!(!ix.parts[0].descending && ix.parts[1].descending);

    let vessels = c.table("vessels").unwrap();
    assert_eq!(
        vessels.column("vessel_id").unwrap().identity,
        Some(Identity::Rowid {
            autoincrement: true
        })
    );
    assert_eq!(
        vessels.unique_constraints[0].name.as_deref(),
        Some("uq_vessels_imo")
    );
    let lower = vessels
        .indexes
        .iter()
        .find(|i| i.name == "ix_vessels_name_lower")
        .unwrap();
    assert_eq!(lower.parts[0].expression.as_deref(), Some("lower(name)"));
    let home = vessels
        .foreign_keys
        .iter()
        .find(|f| f.columns == ["home_port_id"])
        .unwrap();
    assert_eq!(
        (home.referenced_table.as_str(), home.on_delete),
        ("ports", ReferentialAction::SetNull)
    );

    let unpaid = c
        .table("invoices")
        .unwrap()
        .indexes
        .iter()
        .find(|i| i.name == "ix_invoices_unpaid")
        .unwrap()
        .clone();
    assert_eq!(unpaid.predicate.as_deref(), Some("paid = 0"));
    let v = &c.schemas[0].views[0];
    assert_eq!(v.columns, ["code", "port", "jobs", "jobs_done", "invoiced"]);
    let t = &c.schemas[0].triggers[0];
    assert_eq!(
        (t.timing, t.events.clone(), t.table.as_str()),
        (TriggerTiming::After, vec![TriggerEvent::Update], "tug_jobs")
    );
    assert_eq!(t.condition.as_deref(), Some("new.status <> old.status"));
}

#[tokio::test]
async fn demo_database_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (pa, pb) = (demo_db(a.path()).await, demo_db(b.path()).await);
    let dump = |p: &std::path::Path| {
        let out = std::process::Command::new("sqlite3")
            .arg(p)
            .arg(".dump")
            .output();
        out.map(|o| o.stdout).unwrap_or_default()
    };
    let (da, db) = (dump(&pa), dump(&pb));
    if da.is_empty() {
        // No sqlite3 CLI: compare a content digest through the engine instead.
        let digest = |p: std::path::PathBuf| async move {
            let ep = Endpoint::parse_url(&format!("sqlite://{}", p.display()))
                .unwrap()
                .endpoint;
            let c = Connection::open(&ep, None).await.unwrap();
            let r = c
                .query_scalar("digest", "SELECT group_concat(job_id || fee || status || coalesce(notes,''), '|') FROM tug_jobs")
                .await
                .unwrap();
            c.close().await;
            r
        };
        assert_eq!(digest(pa).await, digest(pb).await);
    } else {
        assert_eq!(da, db);
    }
}
