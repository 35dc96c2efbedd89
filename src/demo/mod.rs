//! The embedded demo: a SQLite "Harbor Towage" database built from `assets/demo/harbor.sql`
//! (schema, view, trigger, varied types and a few thousand deterministic rows) and a demo project
//! whose source is that database and whose target is a new SQLite file. No server is needed.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection as _};

use crate::endpoints::{Endpoint, Engine, Role};
use crate::error::{Error, Result};
use crate::project::Project;

/// The demo database script, embedded in the binary.
pub const HARBOR_SQL: &str = include_str!("../../assets/demo/harbor.sql");

/// Tugboat's data directory: `$TUGBOAT_DATA_DIR`, else the platform's (e.g. `~/.local/share/tugboat`).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TUGBOAT_DATA_DIR") {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("org", "Tugboat", "tugboat")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("tugboat"))
}

/// Builds the demo database at `path` unless it is already there. Built into a temporary file and
/// renamed, so an interrupted build never leaves a half-made database.
pub async fn ensure_demo_database(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let io = |e: std::io::Error| Error::File {
        path: path.to_path_buf(),
        message: format!("cannot create the demo database: {e}"),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("building");
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let sql_err = |e: sqlx::Error| Error::File {
        path: PathBuf::from("assets/demo/harbor.sql"),
        message: e.to_string(),
    };
    let mut conn = SqliteConnectOptions::new()
        .filename(&tmp)
        .create_if_missing(true)
        .connect()
        .await
        .map_err(sql_err)?;
    sqlx::raw_sql(AssertSqlSafe(HARBOR_SQL))
        .execute(&mut conn)
        .await
        .map_err(sql_err)?;
    conn.close().await.map_err(sql_err)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    tracing::info!(target: "tugboat::demo", "built the demo database {}", path.display());
    Ok(())
}

/// Paths of the demo source and target files in `dir`.
pub fn demo_paths(dir: &Path) -> (PathBuf, PathBuf) {
    let d = dir.join("demo");
    (d.join("harbor.sqlite"), d.join("harbor-target.sqlite"))
}

/// The demo project: the Harbor database as source, a new SQLite file as target.
pub fn demo_project(dir: &Path) -> Project {
    let (source, target) = demo_paths(dir);
    let mut s = Endpoint::new(Engine::Sqlite);
    s.name = "Harbor demo (SQLite source)".into();
    s.database = source.display().to_string();
    let mut t = Endpoint::new(Engine::Sqlite);
    t.name = "Demo target (SQLite)".into();
    t.role = Role::Target;
    t.database = target.display().to_string();
    let mut p = Project {
        name: "Demo: Harbor Towage".into(),
        endpoints: vec![s, t],
        notes: "The embedded demo. Add your own endpoints, or open a project with File → Open."
            .into(),
        tasks: vec![crate::tasks::Task {
            id: String::new(),
            name: "Harbor full load".into(),
            source: "Harbor demo (SQLite source)".into(),
            target: "Demo target (SQLite)".into(),
            mappings: crate::tasks::mappings::TableMappings::all(),
            settings: crate::tasks::Settings::default(),
            task_type: Default::default(),
            stop_at: None,
        }],
        ..Default::default()
    };
    p.settle_ids();
    p
}
