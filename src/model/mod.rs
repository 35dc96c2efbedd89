//! The neutral schema model: one engine-independent description of a database's objects.
//!
//! Live discovery (`crate::discovery`) produces it from catalogs; DDL parsing (schema conversion)
//! will produce it from scripts; conversion consumes it. Engine-specific facts are kept as data
//! (for example the declared type text, character set, or index method), never as engine enums
//! inside the objects, so every engine fits the same shape.

use serde::{Deserialize, Serialize};

use crate::endpoints::Engine;

/// Everything discovered in one database (or one SQLite file).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    /// Engine the catalog was read from, if it came from a live endpoint.
    pub engine: Option<Engine>,
    /// Server product and version, e.g. "MariaDB 10.11.19".
    pub server: Option<String>,
    /// The database (MySQL: schema; SQLite: file) that was read.
    pub database: String,
    pub schemas: Vec<Schema>,
    /// PostgreSQL extensions installed in the database (name, schema), but plpgsql.
    #[serde(default)]
    pub extensions: Vec<(String, String)>,
}

/// A namespace: a PostgreSQL schema, a MySQL database, SQLite's `main`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Schema {
    pub name: String,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub routines: Vec<Routine>,
    pub triggers: Vec<Trigger>,
    pub sequences: Vec<Sequence>,
    pub types: Vec<UserType>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub unique_constraints: Vec<UniqueConstraint>,
    pub check_constraints: Vec<CheckConstraint>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub comment: Option<String>,
    /// Storage engine (InnoDB...), `WITHOUT ROWID`, partitioned... as the engine names it.
    pub storage: Option<String>,
    pub default_charset: Option<String>,
    pub default_collation: Option<String>,
    pub stats: TableStats,
    /// Parts of the definition a script reader could not take into this model (a constraint
    /// of a kind it does not know, such as PostgreSQL's EXCLUDE): each becomes an action item
    /// of the table, never lost without a word.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

/// Size figures from the catalog's statistics (estimates, cheap to read).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TableStats {
    pub estimated_rows: Option<i64>,
    pub size_bytes: Option<i64>,
    /// Exact `count(*)`, filled only when asked for.
    pub exact_rows: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Column {
    pub name: String,
    /// 1-based position in the table.
    pub ordinal: u32,
    pub data_type: DataType,
    pub nullable: bool,
    /// Default expression as the engine prints it (`'abc'`, `now()`, `nextval('s'::regclass)`).
    pub default: Option<String>,
    pub identity: Option<Identity>,
    pub generated: Option<GeneratedColumn>,
    /// Character set and collation, where they differ from the table's (or type's) default.
    pub charset: Option<String>,
    pub collation: Option<String>,
    pub comment: Option<String>,
    /// MySQL `ON UPDATE CURRENT_TIMESTAMP` and similar automatic updates.
    pub on_update: Option<String>,
}

/// A column type with every parameter the engine declares.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DataType {
    /// Base type name in lower case as the engine spells it: `varchar`, `int`, `numeric`,
    /// `timestamp with time zone`, `enum`, a user type's name...
    pub name: String,
    /// Character or binary length (`varchar(40)`, `bit(1)`); for MySQL integers, the display
    /// width (`tinyint(1)`).
    pub length: Option<u64>,
    pub precision: Option<u32>,
    pub scale: Option<u32>,
    /// Fractional-second precision of time types.
    pub fractional_seconds: Option<u32>,
    pub unsigned: bool,
    pub zerofill: bool,
    /// Number of array dimensions (PostgreSQL `int[]` is 1).
    pub array_dims: u32,
    /// Values of an ENUM or SET.
    pub values: Vec<String>,
    /// Schema of a user-defined type, when it is one.
    pub type_schema: Option<String>,
    /// The full type as declared, e.g. `decimal(10,2) unsigned`, `character varying(40)[]`.
    pub declared: String,
}

impl DataType {
    pub fn simple(name: &str) -> Self {
        DataType {
            name: name.to_string(),
            declared: name.to_string(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Identity {
    /// MySQL `AUTO_INCREMENT` (next value, when known).
    AutoIncrement { next_value: Option<i64> },
    /// PostgreSQL `serial`-style default taken from an owned sequence.
    Serial { sequence: String },
    /// SQL-standard identity column.
    Identity {
        always: bool,
        start: Option<i64>,
        increment: Option<i64>,
    },
    /// SQLite `INTEGER PRIMARY KEY` (an alias of the rowid), with or without `AUTOINCREMENT`.
    Rowid { autoincrement: bool },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GeneratedColumn {
    pub expression: String,
    pub stored: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PrimaryKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UniqueConstraint {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CheckConstraint {
    pub name: Option<String>,
    pub expression: String,
}

/// A secondary index. Indexes that only back a primary key or a unique constraint are not listed
/// here (the constraint is); MySQL unique keys are listed here with `unique`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// Access method as the engine names it: btree, hash, gin, gist, brin, fulltext, spatial.
    pub method: Option<String>,
    pub parts: Vec<IndexPart>,
    /// Partial-index predicate (`WHERE ...`).
    pub predicate: Option<String>,
    /// SQL Server's `IGNORE_DUP_KEY = ON`: an insert of a duplicate key is skipped (with a
    /// warning), not refused.
    #[serde(default)]
    pub ignore_dup_key: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IndexPart {
    /// The column, for a plain key part.
    pub column: Option<String>,
    /// The expression, for an expression key part.
    pub expression: Option<String>,
    /// MySQL prefix length (`KEY (title(10))`).
    pub prefix_length: Option<u32>,
    pub descending: bool,
    /// PostgreSQL operator class (`gin_trgm_ops`), as written.
    #[serde(default)]
    pub operator_class: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub referenced_schema: Option<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    pub on_update: ReferentialAction,
    pub on_delete: ReferentialAction,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum ReferentialAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    /// Parses the spellings catalogs use: `CASCADE`, `SET NULL`, PostgreSQL's one-letter codes.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "CASCADE" | "C" => Self::Cascade,
            "RESTRICT" | "R" => Self::Restrict,
            "SET NULL" | "N" => Self::SetNull,
            "SET DEFAULT" | "D" => Self::SetDefault,
            _ => Self::NoAction,
        }
    }
    pub fn sql(self) -> &'static str {
        match self {
            Self::NoAction => "NO ACTION",
            Self::Restrict => "RESTRICT",
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
            Self::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct View {
    pub name: String,
    /// The query (`SELECT ...`) as the engine stores it.
    pub definition: String,
    pub materialized: bool,
    pub columns: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum RoutineKind {
    Procedure,
    Function,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Routine {
    pub name: String,
    pub kind: RoutineKind,
    pub parameters: Vec<Parameter>,
    /// Return type of a function (`integer`, `SETOF film`, `TABLE(...)`, `trigger`).
    pub return_type: Option<String>,
    /// `SQL`, `plpgsql`, ...
    pub language: Option<String>,
    pub deterministic: Option<bool>,
    /// The routine body.
    pub body: String,
    /// The complete `CREATE` statement, where the engine can produce one.
    pub definition: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Parameter {
    pub name: Option<String>,
    /// IN, OUT, INOUT, VARIADIC.
    pub mode: String,
    pub data_type: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
    Truncate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    /// FOR EACH ROW (true) or FOR EACH STATEMENT.
    pub for_each_row: bool,
    /// Trigger condition (`WHEN ...`), if any.
    pub condition: Option<String>,
    /// The body (MySQL, SQLite) or the function it executes (PostgreSQL `EXECUTE FUNCTION f()`).
    pub body: String,
    /// The complete `CREATE TRIGGER` statement, where the engine can produce one.
    pub definition: Option<String>,
    /// Disabled on the source (PostgreSQL `ALTER TABLE ... DISABLE TRIGGER`, Oracle `ALTER
    /// TRIGGER ... DISABLE`): created disabled where the target can.
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Sequence {
    pub name: String,
    pub data_type: Option<String>,
    pub start: Option<i64>,
    pub increment: Option<i64>,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub cycle: bool,
    /// The last value handed out (None if never used or unknown).
    pub last_value: Option<i64>,
    /// The value the next call will return, where the catalog tells it.
    pub next_value: Option<i64>,
    /// `table.column` that owns the sequence (serial columns).
    pub owned_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserType {
    pub name: String,
    pub kind: UserTypeKind,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum UserTypeKind {
    Enum {
        values: Vec<String>,
    },
    Domain {
        base: String,
        nullable: bool,
        default: Option<String>,
        checks: Vec<String>,
    },
    Composite {
        attributes: Vec<(String, String)>,
    },
}

/// Counts of each object kind, for summaries.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectCounts {
    pub schemas: usize,
    pub tables: usize,
    pub columns: usize,
    pub views: usize,
    pub procedures: usize,
    pub functions: usize,
    pub triggers: usize,
    pub sequences: usize,
    pub types: usize,
    pub primary_keys: usize,
    pub unique_constraints: usize,
    pub check_constraints: usize,
    pub indexes: usize,
    pub foreign_keys: usize,
}

impl Catalog {
    pub fn counts(&self) -> ObjectCounts {
        let mut c = ObjectCounts {
            schemas: self.schemas.len(),
            ..Default::default()
        };
        for s in &self.schemas {
            c.tables += s.tables.len();
            c.views += s.views.len();
            c.triggers += s.triggers.len();
            c.sequences += s.sequences.len();
            c.types += s.types.len();
            for r in &s.routines {
                match r.kind {
                    RoutineKind::Procedure => c.procedures += 1,
                    RoutineKind::Function => c.functions += 1,
                }
            }
            for t in &s.tables {
                c.columns += t.columns.len();
                c.primary_keys += usize::from(t.primary_key.is_some());
                c.unique_constraints += t.unique_constraints.len();
                c.check_constraints += t.check_constraints.len();
                c.indexes += t.indexes.len();
                c.foreign_keys += t.foreign_keys.len();
            }
        }
        c
    }

    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.name == name)
    }

    /// Finds a table by name in any schema (first match).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.schemas
            .iter()
            .flat_map(|s| s.tables.iter())
            .find(|t| t.name == name)
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl Identity {
    /// How the column numbers its rows, for people: `AUTO_INCREMENT (next 1003)`, `IDENTITY ALWAYS`...
    pub fn describe(&self) -> String {
        match self {
            Identity::AutoIncrement { next_value } => {
                format!(
                    "AUTO_INCREMENT{}",
                    next_value
                        .map(|n| format!(" (next {n})"))
                        .unwrap_or_default()
                )
            }
            Identity::Serial { sequence } => format!("serial ({sequence})"),
            Identity::Identity { always, .. } => {
                format!("IDENTITY {}", if *always { "ALWAYS" } else { "BY DEFAULT" })
            }
            Identity::Rowid {
                autoincrement: true,
            } => "rowid AUTOINCREMENT".into(),
            Identity::Rowid {
                autoincrement: false,
            } => "rowid alias".into(),
        }
    }
}

impl Column {
    /// Identity, generation and automatic update of the column, for people.
    pub fn properties(&self) -> Vec<String> {
        let mut out = vec![];
        if let Some(i) = &self.identity {
            out.push(i.describe());
        }
        if let Some(g) = &self.generated {
            out.push(format!(
                "GENERATED AS ({}){}",
                g.expression,
                if g.stored { " STORED" } else { " VIRTUAL" }
            ));
        }
        if let Some(u) = &self.on_update {
            out.push(format!("ON UPDATE {u}"));
        }
        out
    }
}

impl Index {
    /// `UNIQUE INDEX name (a(10), lower(b) DESC) USING gin WHERE p`, for people.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| {
                let mut s = p
                    .column
                    .clone()
                    .or(p.expression.clone())
                    .unwrap_or_default();
                if let Some(l) = p.prefix_length {
                    s.push_str(&format!("({l})"));
                }
                if p.descending {
                    s.push_str(" DESC");
                }
                s
            })
            .collect();
        let method = self
            .method
            .as_deref()
            .filter(|m| *m != "btree")
            .map(|m| format!(" USING {m}"))
            .unwrap_or_default();
        let predicate = self
            .predicate
            .as_ref()
            .map(|p| format!(" WHERE {p}"))
            .unwrap_or_default();
        format!(
            "{}INDEX {} ({}){method}{predicate}",
            if self.unique { "UNIQUE " } else { "" },
            self.name,
            parts.join(", ")
        )
    }
}
