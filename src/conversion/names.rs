//! Target names: case folding, quoting per target (PostgreSQL and SQLite quote only when
//! needed, MySQL always with backticks, as mysqldump does), reserved words, identifier limits
//! (PostgreSQL 63 bytes, MySQL 64) with schema-wide index names made unique deterministically,
//! and schema mapping (MySQL: a schema is a database; SQLite: one namespace, other schemas'
//! tables are prefixed with the schema name).

use crate::sqltext::{Escapes, IdentQuote, quoted_ident, string_literal};
use std::collections::{BTreeMap, HashSet};

use crate::ddl::Dialect;

/// SQLite key words beyond PostgreSQL's reserved ones that are safer quoted.
const SQLITE_RESERVED: &[&str] = &[
    "abort",
    "action",
    "add",
    "after",
    "alter",
    "attach",
    "autoincrement",
    "before",
    "begin",
    "between",
    "by",
    "cascade",
    "commit",
    "conflict",
    "database",
    "deferred",
    "delete",
    "detach",
    "drop",
    "each",
    "escape",
    "exclusive",
    "exists",
    "explain",
    "fail",
    "glob",
    "if",
    "ignore",
    "immediate",
    "index",
    "indexed",
    "insert",
    "instead",
    "isnull",
    "key",
    "match",
    "no",
    "nothing",
    "notnull",
    "of",
    "offset",
    "plan",
    "pragma",
    "query",
    "raise",
    "recursive",
    "regexp",
    "reindex",
    "release",
    "rename",
    "replace",
    "restrict",
    "rollback",
    "row",
    "rowid",
    "savepoint",
    "set",
    "temp",
    "temporary",
    "transaction",
    "trigger",
    "update",
    "vacuum",
    "values",
    "view",
    "virtual",
    "without",
];

/// PostgreSQL's reserved key words (those that cannot be bare column or table names).
const PG_RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// PostgreSQL's identifier limit in bytes.
pub const MAX_IDENT_BYTES: usize = 63;

/// The identifier limit of a target, in bytes (MySQL counts characters; bytes are stricter).
pub fn max_ident(target: Dialect) -> usize {
    match target {
        Dialect::MySql => 64,
        Dialect::Sqlite => 1024,
        Dialect::Oracle => 128,
        Dialect::MsSql => 128,
        Dialect::Postgres => MAX_IDENT_BYTES,
    }
}

/// Quotes an identifier for `target`: backticks always for MySQL, double quotes when needed
/// elsewhere.
pub fn quote_for(target: Dialect, name: &str) -> String {
    match target {
        Dialect::MySql => quoted_ident(name, IdentQuote::Backtick),
        Dialect::Sqlite => {
            let q = quote_pg(name);
            if !q.starts_with('"') && SQLITE_RESERVED.contains(&name) {
                format!("\"{name}\"")
            } else {
                q
            }
        }
        _ => quote_pg(name),
    }
}

/// Quotes a PostgreSQL identifier when it needs quotes.
pub fn quote_pg(name: &str) -> String {
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if simple && !PG_RESERVED.contains(&name) {
        name.to_string()
    } else {
        quoted_ident(name, IdentQuote::Double)
    }
}

/// How `target` reads a string literal's inside.
pub fn escapes(target: Dialect) -> Escapes {
    match target {
        Dialect::MySql => Escapes::Backslash,
        _ => Escapes::Standard,
    }
}

/// `s` as a string literal of `target`.
pub fn literal(target: Dialect, s: &str) -> String {
    string_literal(s, escapes(target))
}

/// FNV-1a, for short deterministic suffixes.
fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    h
}

/// Cuts `name` to 63 bytes, ending in a hash of the whole name so different long names stay
/// different. Returns the name and whether it was cut.
pub fn fit(name: &str) -> (String, bool) {
    fit_to(name, MAX_IDENT_BYTES)
}

/// [`fit`] for a limit of `max` bytes.
pub fn fit_to(name: &str, max: usize) -> (String, bool) {
    if name.len() <= max {
        return (name.to_string(), false);
    }
    let mut cut = max - 9;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    (format!("{}_{:08x}", &name[..cut], fnv(name)), true)
}

/// Maps source names to target names consistently.
pub struct Names {
    pub fold: bool,
    pub target: Dialect,
    max: usize,
    schema_map: BTreeMap<String, String>,
    /// Relation names (tables, indexes, sequences...) used per target schema.
    used: BTreeMap<String, HashSet<String>>,
}

impl Names {
    /// Names for a PostgreSQL target.
    pub fn new(fold: bool, schema_map: &BTreeMap<String, String>) -> Self {
        Self::for_target(Dialect::Postgres, fold, schema_map)
    }

    /// Names for `target`.
    pub fn for_target(target: Dialect, fold: bool, schema_map: &BTreeMap<String, String>) -> Self {
        let schema_map = schema_map
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        Names {
            fold,
            target,
            max: max_ident(target),
            schema_map,
            used: BTreeMap::new(),
        }
    }

    /// Maps a source schema to a target schema unless the user mapped it already.
    pub fn default_mapping(&mut self, source: &str, target: &str) {
        self.schema_map
            .entry(source.to_ascii_lowercase())
            .or_insert_with(|| target.to_string());
    }

    /// The target's default schema: `public` on PostgreSQL, the connection's database on MySQL
    /// (empty), `main` on SQLite (empty).
    pub fn default_schema(&self) -> &'static str {
        if self.target == Dialect::Postgres {
            "public"
        } else {
            ""
        }
    }

    /// Quotes an identifier for the target.
    pub fn quote(&self, name: &str) -> String {
        quote_for(self.target, name)
    }

    /// A source identifier as the target spells it (unquoted form).
    pub fn name(&self, raw: &str) -> String {
        let n = if self.fold {
            raw.to_lowercase()
        } else {
            raw.to_string()
        };
        fit_to(&n, self.max).0
    }

    /// Whether `raw` is longer than the target allows.
    pub fn too_long(&self, raw: &str) -> bool {
        self.name_unbounded(raw).len() > self.max
    }

    fn name_unbounded(&self, raw: &str) -> String {
        if self.fold {
            raw.to_lowercase()
        } else {
            raw.to_string()
        }
    }

    /// A quoted-if-needed target identifier.
    pub fn ident(&self, raw: &str) -> String {
        self.quote(&self.name(raw))
    }

    /// The target schema of a source schema (unquoted form). Empty and unmapped default schemas
    /// (`main`, `dbo`, MySQL/Oracle scripts without one) become `public`.
    pub fn schema(&self, raw: &str) -> String {
        if let Some(m) = self.schema_map.get(&raw.to_ascii_lowercase()) {
            return m.clone();
        }
        if raw.is_empty() || raw == "main" {
            return self.default_schema().into();
        }
        if self.target != Dialect::Postgres
            && matches!(raw.to_ascii_lowercase().as_str(), "public" | "dbo")
        {
            return String::new();
        }
        self.name(raw)
    }

    /// `schema.name`, quoted as needed. Names in the target's default schema are not qualified
    /// on MySQL and SQLite; SQLite has one namespace, so other schemas become a name prefix.
    pub fn qualified(&self, schema: &str, name: &str) -> String {
        let s = self.schema(schema);
        match self.target {
            Dialect::Postgres => format!("{}.{}", self.quote(&s), self.ident(name)),
            _ if s.is_empty() => self.ident(name),
            Dialect::Sqlite => self.quote(&fit_to(&format!("{s}_{}", self.name(name)), self.max).0),
            _ => format!("{}.{}", self.quote(&s), self.ident(name)),
        }
    }

    /// Registers a relation name in a target schema.
    pub fn claim(&mut self, target_schema: &str, name: &str) {
        self.used
            .entry(target_schema.to_string())
            .or_default()
            .insert(name.to_string());
    }

    /// A name for an index or index-backed constraint that no other relation of the schema uses:
    /// the source name, else `table_name`, else numbered. Unquoted form.
    pub fn unique_relation(&mut self, target_schema: &str, table: &str, wanted: &str) -> String {
        let used = self.used.entry(target_schema.to_string()).or_default();
        let max = self.max;
        let fit = |n: &str| fit_to(n, max);
        let base = fit(&if self.fold {
            wanted.to_lowercase()
        } else {
            wanted.to_string()
        })
        .0;
        let table = if self.fold {
            table.to_lowercase()
        } else {
            table.to_string()
        };
        let candidates = std::iter::once(base.clone())
            .chain(std::iter::once_with(|| fit(&format!("{table}_{base}")).0))
            .chain((2..).map(|i| fit(&format!("{table}_{base}_{i}")).0));
        let pick = candidates
            .take(100_000)
            .find(|c| !used.contains(c))
            .unwrap_or(base);
        used.insert(pick.clone());
        pick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote_pg("film"), "film");
        assert_eq!(quote_pg("user"), "\"user\"");
        assert_eq!(quote_pg("Album"), "\"Album\"");
        assert_eq!(quote_pg("a b"), "\"a b\"");
    }

    #[test]
    fn long_names_fit_and_stay_distinct() {
        let a = "a".repeat(70) + "x";
        let b = "a".repeat(70) + "y";
        let (fa, cut) = fit(&a);
        assert!(cut && fa.len() <= 63);
        assert_ne!(fa, fit(&b).0);
        assert_eq!(fa, fit(&a).0, "deterministic");
    }

    #[test]
    fn index_names_are_unique_per_schema() {
        let mut n = Names::new(true, &BTreeMap::new());
        assert_eq!(
            n.unique_relation("public", "film_actor", "idx_fk_film_id"),
            "idx_fk_film_id"
        );
        assert_eq!(
            n.unique_relation("public", "inventory", "idx_fk_film_id"),
            "inventory_idx_fk_film_id"
        );
        assert_eq!(
            n.unique_relation("other", "inventory", "idx_fk_film_id"),
            "idx_fk_film_id"
        );
    }
}
