//! Conversion rules as data: type mappings, default-value function mappings, options and the
//! effort model, read from `conversion-rules/*.ron` (one file per source → target pair). The
//! files shipped in the repository are embedded in the binary; a user's override files (same
//! format, in a folder given on the command line or in the project) are applied on top: their
//! type rules are tried first, their functions and effort entries replace the shipped ones.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::assessment::Category;
use crate::ddl::Dialect;
use crate::error::{Error, Result};
use crate::model::DataType;

/// How a MySQL ENUM column is carried over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnumStyle {
    /// A varchar column with a CHECK constraint listing the values.
    CheckConstraint,
    /// A PostgreSQL enum type per column.
    NativeEnum,
}

/// Switches a user can flip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Fold unquoted names to lower case (PostgreSQL's convention).
    pub fold_case: bool,
    /// MySQL `tinyint(1)` becomes boolean.
    pub tinyint1_as_boolean: bool,
    /// `bit(1)` becomes boolean.
    pub bit1_as_boolean: bool,
    pub enum_as: EnumStyle,
    /// The target has PostGIS: spatial columns become `geometry` (else WKB bytes in bytea).
    pub postgis: bool,
    /// Source schema → target schema (`dbo` → `public`); unlisted schemas keep their (folded) name.
    pub schema_map: BTreeMap<String, String>,
    /// PostgreSQL: primary keys as `ALTER TABLE ... ADD PRIMARY KEY` in post-data instead of
    /// inside CREATE TABLE (a migration task builds each one once its table is loaded: faster
    /// than maintaining the index row by row during COPY). Set by tasks, not by rule files.
    #[serde(skip)]
    pub keys_after_load: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fold_case: true,
            tinyint1_as_boolean: true,
            bit1_as_boolean: true,
            enum_as: EnumStyle::CheckConstraint,
            postgis: false,
            schema_map: BTreeMap::new(),
            keys_after_load: false,
        }
    }
}

impl Options {
    pub fn flag(&self, name: &str) -> bool {
        match name {
            "tinyint1_as_boolean" => self.tinyint1_as_boolean,
            "bit1_as_boolean" => self.bit1_as_boolean,
            "enum_as_native" => self.enum_as == EnumStyle::NativeEnum,
            "enum_as_check" => self.enum_as == EnumStyle::CheckConstraint,
            "fold_case" => self.fold_case,
            "postgis" => self.postgis,
            _ => false,
        }
    }
}

/// An action item a mapping raises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleAction {
    pub code: crate::assessment::codes::Code,
    pub category: Category,
    pub message: String,
    pub fix: String,
}

/// One type mapping. The first rule (of the user's files, then the shipped ones) whose
/// conditions all hold is used. `to` may use `{length}`, `{precision}`, `{scale}`, `{fsp}`
/// (fractional seconds); a rule whose placeholder has no value does not match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeRule {
    /// Source type names (lower case, as the model spells them).
    pub from: Vec<String>,
    #[serde(default)]
    pub unsigned: Option<bool>,
    /// Inclusive range of the length (or display width of a MySQL integer).
    #[serde(default)]
    pub length: Option<(u64, u64)>,
    #[serde(default)]
    pub precision: Option<(u32, u32)>,
    #[serde(default)]
    pub scale: Option<(u32, u32)>,
    /// Inclusive range of the fractional seconds (`TIMESTAMP(9)`).
    #[serde(default)]
    pub fsp: Option<(u32, u32)>,
    /// The declared type contains this text (case-insensitive), e.g. `(max)`.
    #[serde(default)]
    pub declared_contains: Option<String>,
    /// Only when this option is on (see [`Options::flag`]).
    #[serde(default)]
    pub option: Option<String>,
    pub to: String,
    #[serde(default)]
    pub action: Option<RuleAction>,
}

/// Effort for one action-item code: minutes per occurrence plus a one-time learning effort.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Effort {
    pub per_occurrence_minutes: f64,
    pub learning_minutes: f64,
}

/// A rules file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    pub source: Dialect,
    pub target: Dialect,
    #[serde(default)]
    pub options: Options,
    #[serde(default)]
    pub types: Vec<TypeRule>,
    /// Function names in default expressions (lower case, without parentheses) → replacement
    /// expression on the target.
    #[serde(default)]
    pub functions: BTreeMap<String, String>,
    /// Effort per action-item code; categories give the rest (see [`RuleSet::effort`]).
    #[serde(default)]
    pub effort: BTreeMap<String, Effort>,
}

/// The shipped rule files, embedded.
const SHIPPED: &[(&str, &str)] = &[
    (
        "mysql-to-postgres.ron",
        include_str!("../../conversion-rules/mysql-to-postgres.ron"),
    ),
    (
        "sqlite-to-postgres.ron",
        include_str!("../../conversion-rules/sqlite-to-postgres.ron"),
    ),
    (
        "mssql-to-postgres.ron",
        include_str!("../../conversion-rules/mssql-to-postgres.ron"),
    ),
    (
        "oracle-to-postgres.ron",
        include_str!("../../conversion-rules/oracle-to-postgres.ron"),
    ),
    (
        "postgres-to-postgres.ron",
        include_str!("../../conversion-rules/postgres-to-postgres.ron"),
    ),
    (
        "postgres-to-mysql.ron",
        include_str!("../../conversion-rules/postgres-to-mysql.ron"),
    ),
    (
        "sqlite-to-mysql.ron",
        include_str!("../../conversion-rules/sqlite-to-mysql.ron"),
    ),
    (
        "mysql-to-mysql.ron",
        include_str!("../../conversion-rules/mysql-to-mysql.ron"),
    ),
    (
        "mssql-to-mysql.ron",
        include_str!("../../conversion-rules/mssql-to-mysql.ron"),
    ),
    (
        "oracle-to-mysql.ron",
        include_str!("../../conversion-rules/oracle-to-mysql.ron"),
    ),
    (
        "postgres-to-sqlite.ron",
        include_str!("../../conversion-rules/postgres-to-sqlite.ron"),
    ),
    (
        "mysql-to-sqlite.ron",
        include_str!("../../conversion-rules/mysql-to-sqlite.ron"),
    ),
    (
        "sqlite-to-sqlite.ron",
        include_str!("../../conversion-rules/sqlite-to-sqlite.ron"),
    ),
    (
        "mssql-to-sqlite.ron",
        include_str!("../../conversion-rules/mssql-to-sqlite.ron"),
    ),
    (
        "oracle-to-sqlite.ron",
        include_str!("../../conversion-rules/oracle-to-sqlite.ron"),
    ),
];

fn parse(text: &str, file: &Path) -> Result<RuleSet> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e| Error::FileFormat {
            path: file.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: format!("malformed conversion rules: {}", e.code),
        })
}

impl RuleSet {
    /// The shipped rules for `source` → `target`.
    pub fn shipped(source: Dialect, target: Dialect) -> Result<RuleSet> {
        for (name, text) in SHIPPED {
            let set = parse(text, Path::new(&format!("conversion-rules/{name}")))?;
            if set.source == source && set.target == target {
                return Ok(set);
            }
        }
        Err(Error::InvalidEndpoint {
            endpoint: format!("{} → {}", source.label(), target.label()),
            reason: "no conversion rules for this pair yet".into(),
        })
    }

    /// The shipped rules, with every matching override file of `dir` applied on top.
    pub fn load(source: Dialect, target: Dialect, dir: Option<&Path>) -> Result<RuleSet> {
        let mut set = Self::shipped(source, target)?;
        let Some(dir) = dir else { return Ok(set) };
        let entries = std::fs::read_dir(dir).map_err(|e| Error::File {
            path: dir.to_path_buf(),
            message: format!("cannot read the rules folder: {e}"),
        })?;
        let mut files: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::File {
                path: f.clone(),
                message: e.to_string(),
            })?;
            let o = parse(&text, &f)?;
            if o.source != source || o.target != target {
                continue;
            }
            let mut types = o.types;
            types.extend(set.types);
            set.types = types;
            set.functions.extend(o.functions);
            set.effort.extend(o.effort);
            set.options = o.options;
        }
        Ok(set)
    }

    /// The target type for `t`, with the rule's action if it raises one; None when no rule applies.
    pub fn map_type(&self, t: &DataType) -> Option<(String, Option<RuleAction>)> {
        let (r, out) = first_match(&self.types, t, |o| self.options.flag(o))?;
        let arrays = if r.to.contains("{declared}") || self.target != Dialect::Postgres {
            String::new()
        } else {
            "[]".repeat(t.array_dims as usize)
        };
        Some((format!("{out}{arrays}"), r.action.clone()))
    }

    /// Effort for an action-item code (the code's entry, else the category's default).
    pub fn effort(&self, code: &str, category: Category) -> Effort {
        self.effort.get(code).copied().unwrap_or(match category {
            Category::Automatic => Effort {
                per_occurrence_minutes: 0.0,
                learning_minutes: 0.0,
            },
            Category::Simple => Effort {
                per_occurrence_minutes: 5.0,
                learning_minutes: 30.0,
            },
            Category::Medium => Effort {
                per_occurrence_minutes: 30.0,
                learning_minutes: 120.0,
            },
            Category::Complex => Effort {
                per_occurrence_minutes: 120.0,
                learning_minutes: 480.0,
            },
            Category::NotConvertible => Effort {
                per_occurrence_minutes: 240.0,
                learning_minutes: 480.0,
            },
        })
    }
}

/// The first of `types` whose conditions hold for `t` (`flag`: whether an option is on), with
/// its `to` filled in; None when none applies.
pub fn first_match<'r>(
    types: &'r [TypeRule],
    t: &DataType,
    flag: impl Fn(&str) -> bool,
) -> Option<(&'r TypeRule, String)> {
    let declared = t.declared.to_ascii_lowercase();
    'rules: for r in types {
        if !r.from.iter().any(|f| f == &t.name || f == "*") {
            continue;
        }
        if r.unsigned.is_some_and(|u| u != t.unsigned)
            || r.length
                .is_some_and(|(lo, hi)| t.length.is_none_or(|l| l < lo || l > hi))
            || r.precision
                .is_some_and(|(lo, hi)| t.precision.is_none_or(|p| p < lo || p > hi))
            || r.scale
                .is_some_and(|(lo, hi)| t.scale.is_none_or(|s| s < lo || s > hi))
            || r.fsp
                .is_some_and(|(lo, hi)| t.fractional_seconds.is_none_or(|s| s < lo || s > hi))
            || r.declared_contains
                .as_ref()
                .is_some_and(|c| !declared.contains(&c.to_ascii_lowercase()))
            || r.option.as_ref().is_some_and(|o| !flag(o))
        {
            continue;
        }
        let mut out = r.to.clone();
        for (ph, v) in [
            ("{length}", t.length.map(|v| v.to_string())),
            ("{precision}", t.precision.map(|v| v.to_string())),
            ("{scale}", t.scale.map(|v| v.to_string())),
            ("{fsp}", t.fractional_seconds.map(|v| v.to_string())),
            ("{declared}", Some(t.declared.clone())),
        ] {
            if out.contains(ph) {
                match v {
                    Some(v) => out = out.replace(ph, &v),
                    None => continue 'rules,
                }
            }
        }
        return Some((r, out));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqltext::parse_declared_type;

    #[test]
    fn every_shipped_file_parses() {
        for (name, text) in SHIPPED {
            let set = parse(text, Path::new(name)).unwrap_or_else(|e| panic!("{e}"));
            assert!(!set.types.is_empty(), "{name}");
        }
    }

    #[test]
    fn mysql_types_map_by_conditions() {
        let r = RuleSet::shipped(Dialect::MySql, Dialect::Postgres).unwrap();
        let m = |d: &str| r.map_type(&parse_declared_type(d)).map(|x| x.0);
        assert_eq!(m("tinyint(1)").as_deref(), Some("boolean"));
        assert_eq!(m("tinyint(3) unsigned").as_deref(), Some("smallint"));
        assert_eq!(m("int unsigned").as_deref(), Some("bigint"));
        assert_eq!(m("bigint unsigned").as_deref(), Some("numeric(20)"));
        assert_eq!(m("decimal(10,2)").as_deref(), Some("numeric(10,2)"));
        assert_eq!(m("varchar(40)").as_deref(), Some("varchar(40)"));
        assert_eq!(m("datetime(3)").as_deref(), Some("timestamp(3)"));
        assert_eq!(m("datetime").as_deref(), Some("timestamp(0)"));
        assert_eq!(m("longblob").as_deref(), Some("bytea"));
        assert_eq!(m("year").as_deref(), Some("smallint"));
    }

    #[test]
    fn overrides_come_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.ron"),
            "#![enable(implicit_some)]\n(source: MySql, target: Postgres, options: (tinyint1_as_boolean: false), types: [(from: [\"text\"], to: \"citext\")])",
        )
        .unwrap();
        let r = RuleSet::load(Dialect::MySql, Dialect::Postgres, Some(dir.path())).unwrap();
        assert_eq!(
            r.map_type(&parse_declared_type("text")).unwrap().0,
            "citext"
        );
        assert_eq!(
            r.map_type(&parse_declared_type("tinyint(1)")).unwrap().0,
            "smallint"
        );
        std::fs::write(
            dir.path().join("bad.ron"),
            "(source: MySql,\n target: Nope)",
        )
        .unwrap();
        let e = RuleSet::load(Dialect::MySql, Dialect::Postgres, Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.ron:2:"), "{e}");
    }
}
