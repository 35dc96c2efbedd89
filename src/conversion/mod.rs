//! Schema conversion: the neutral model of a source (a script or a live endpoint) into DDL for a
//! target engine, with an action item for everything that is not converted automatically.
//!
//! [`rules`] holds the data-driven mappings, [`names`] target naming, [`expr`] expressions and
//! defaults, [`view`] query rewriting through the sqlparser AST, [`procedural`] trigger and
//! routine bodies, [`writer`] the DDL for each target (PostgreSQL, MySQL/MariaDB, SQLite),
//! [`data`] a script's INSERTs, and [`apply`] running the result on a live target.

pub mod apply;
pub mod data;
pub mod domains;
pub mod expr;
pub mod finish;
pub mod fold;
pub mod group_by;
pub mod ledger;
pub mod names;
pub mod pg_triggers;
pub mod procedural;
pub mod rules;
pub mod self_update;
pub mod sqlite_time;
pub mod tsql;
pub mod verify;
pub mod view;
pub mod writer;

use serde::{Deserialize, Serialize};

use crate::assessment::Report;
use crate::ddl::parse::{ParsedScript, ScriptObject, StatementCounts};
use crate::ddl::{Dialect, ObjectKind};
use crate::error::{Error, Result};
use crate::model::Catalog;

pub use rules::RuleSet;

/// What is converted: the model plus, for scripts, where each object came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    /// A file name or an endpoint URL, for reports.
    pub name: String,
    pub dialect: Dialect,
    pub catalog: Catalog,
    pub objects: Vec<ScriptObject>,
    pub statements: Option<StatementCounts>,
    /// Statements the parser could not read and that define no object (with line and error).
    pub unparsed: Vec<(usize, String, String)>,
    /// The script's data statements (INSERT, COPY), in order.
    #[serde(skip)]
    pub data: Vec<crate::ddl::split::RawStatement>,
    /// Every statement of the script with the parser's outcome (for the ledger).
    #[serde(skip)]
    pub records: Vec<crate::ddl::parse::StatementRecord>,
    /// (kind, lower-case name) → index in `objects`.
    #[serde(skip)]
    origin_index: std::collections::HashMap<(ObjectKind, String), usize>,
}

impl Source {
    pub fn from_script(p: ParsedScript) -> Source {
        use crate::ddl::parse::Outcome;
        let statements = Some(p.counts());
        let object_lines: std::collections::HashSet<usize> =
            p.objects.iter().map(|o| o.line).collect();
        let unparsed = p
            .statements
            .iter()
            .filter(|s| !object_lines.contains(&s.line))
            .filter_map(|s| match &s.outcome {
                Outcome::Unparsed { error } => {
                    let kind = match &s.classified.kind {
                        crate::ddl::StatementKind::Other(w) => w.clone(),
                        crate::ddl::StatementKind::Create(k) => {
                            format!("CREATE {}", k.label().to_uppercase())
                        }
                        crate::ddl::StatementKind::Alter(k) => {
                            format!("ALTER {}", k.label().to_uppercase())
                        }
                        k => format!("{k:?}").to_uppercase(),
                    };
                    let what = match &s.classified.name {
                        Some(n) => format!("{kind} {n}"),
                        None => kind,
                    };
                    Some((s.line, what, error.clone()))
                }
                _ => None,
            })
            .collect();
        Source {
            name: p.file,
            dialect: p.dialect.unwrap_or(Dialect::Postgres),
            catalog: p.catalog,
            objects: p.objects,
            statements,
            unparsed,
            data: p.data,
            records: p.statements,
            origin_index: Default::default(),
        }
        .indexed()
    }

    fn indexed(mut self) -> Source {
        for (i, o) in self.objects.iter().enumerate() {
            self.origin_index
                .entry((o.kind, o.name.name.to_lowercase()))
                .or_insert(i);
        }
        self
    }

    /// A live endpoint's catalog.
    pub fn from_catalog(name: &str, catalog: Catalog) -> Source {
        let dialect = catalog.engine.map_or(Dialect::Postgres, Dialect::of_engine);
        Source {
            name: name.into(),
            dialect,
            catalog,
            objects: vec![],
            statements: None,
            unparsed: vec![],
            data: vec![],
            records: vec![],
            origin_index: Default::default(),
        }
    }

    /// Where an object was defined in the script.
    pub fn origin(&self, kind: ObjectKind, name: &str) -> Option<&ScriptObject> {
        self.origin_index
            .get(&(kind, name.to_lowercase()))
            .map(|&i| &self.objects[i])
    }
}

/// Reads a DDL script file: UTF-8 (a BOM is dropped, invalid bytes replaced), the dialect given
/// or detected from the file name and content.
pub fn load_script(path: &std::path::Path, dialect: Option<Dialect>) -> Result<Source> {
    let bytes = std::fs::read(path).map_err(|e| Error::File {
        path: path.into(),
        message: format!("cannot read the script: {e}"),
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_start_matches('\u{feff}');
    let name = path.display().to_string();
    let dialect = dialect.unwrap_or_else(|| crate::ddl::detect_dialect_for(&name, text));
    on_big_stack(&name, || {
        Source::from_script(crate::ddl::parse_script(text, dialect, &name))
    })
}

/// Stack for reading and converting SQL: the parser and the AST rewriters recurse as deep as
/// the SQL nests, and a thread pool's 2 MiB is not enough for real schemas (pg_dump views).
const CONVERSION_STACK: usize = 256 << 20;

/// Runs `f` on a thread of its own with [`CONVERSION_STACK`] of stack; a panic there becomes
/// an error naming `what` instead of taking the program down.
pub fn on_big_stack<T: Send>(what: &str, f: impl FnOnce() -> T + Send) -> Result<T> {
    let failed = |message: String| Error::File {
        path: what.into(),
        message,
    };
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("tugboat-convert".into())
            .stack_size(CONVERSION_STACK)
            .spawn_scoped(scope, f)
            .map_err(|e| failed(format!("cannot start the converter: {e}")))?;
        handle.join().map_err(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            failed(format!("the converter stopped unexpectedly: {why}"))
        })
    })
}

/// Reads a live endpoint's catalog as a conversion source.
pub async fn load_endpoint(
    endpoint: &crate::endpoints::Endpoint,
    password: Option<crate::endpoints::Password>,
) -> Result<Source> {
    let conn = crate::endpoints::Connection::open(endpoint, password).await?;
    let catalog = crate::engines::discover::discover(&conn, &Default::default()).await;
    conn.close().await;
    Ok(Source::from_catalog(&endpoint.url(), catalog?))
}

/// Converts `source` with the shipped rules plus the overrides in `rules_dir`.
pub fn assess(
    source: &Source,
    target: Dialect,
    rules_dir: Option<&std::path::Path>,
) -> Result<Report> {
    let rules = RuleSet::load(source.dialect, target, rules_dir)?;
    convert(source, target, &rules)
}

/// Converts `source` for `target` with `rules` (which must be rules for that target).
pub fn convert(source: &Source, target: Dialect, rules: &RuleSet) -> Result<Report> {
    on_big_stack(&source.name, || convert_here(source, target, rules))?
}

fn convert_here(source: &Source, target: Dialect, rules: &RuleSet) -> Result<Report> {
    match target {
        Dialect::Postgres | Dialect::MySql | Dialect::Sqlite if rules.target == target => {
            let (mut folded_source, folded) = fold::fold(source);
            domains::inline(&mut folded_source, target);
            let mut report = writer::convert(&folded_source, rules, &folded);
            ledger::build(source, &mut report);
            Ok(report)
        }
        Dialect::Postgres | Dialect::MySql | Dialect::Sqlite => Err(Error::InvalidEndpoint {
            endpoint: target.label().into(),
            reason: format!(
                "the conversion rules given are for {}, not {}",
                rules.target.label(),
                target.label()
            ),
        }),
        other => Err(Error::InvalidEndpoint {
            endpoint: other.label().into(),
            reason: "conversion to this target is not available (PostgreSQL, MySQL/MariaDB and SQLite are)".into(),
        }),
    }
}
