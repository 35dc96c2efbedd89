//! The Parquet type of each column: the data of `conversion-rules/*-to-parquet.ron` (a source
//! type → an Arrow type, with the action item a mapping raises), [`LakeType`] (the Arrow types
//! Tugboat writes, parsed from the rules' spelling) and the schema file written beside each
//! table's files.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::conversion::rules::{RuleAction, TypeRule, first_match};
use crate::ddl::Dialect;
use crate::engines::values::Kind;
use crate::error::{Error, Result};

/// The Arrow types a Parquet target's columns take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LakeType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
    /// Precision and scale.
    Decimal128(u8, i8),
    Decimal256(u8, i8),
    Utf8,
    Binary,
    Date32,
    /// Time of day in microseconds.
    Time64,
    /// Microseconds, no time zone (a wall-clock time).
    Timestamp,
    /// Microseconds since the epoch, in UTC.
    TimestampUtc,
}

impl LakeType {
    /// The type a rule's `to` names (`decimal128(10,2)`, `timestamp(us, UTC)`...).
    pub fn parse(s: &str) -> Option<LakeType> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let s = s.to_ascii_lowercase();
        if let Some(args) = s
            .strip_prefix("decimal128(")
            .or_else(|| s.strip_prefix("decimal256("))
        {
            let (p, sc) = args.strip_suffix(')')?.split_once(',')?;
            let (p, sc): (u8, i8) = (p.parse().ok()?, sc.parse().ok()?);
            let wide = s.starts_with("decimal256");
            let max = if wide { 76 } else { 38 };
            if p == 0 || p > max || sc < 0 || sc as u8 > p {
                return None;
            }
            return Some(if wide {
                LakeType::Decimal256(p, sc)
            } else {
                LakeType::Decimal128(p, sc)
            });
        }
        Some(match s.as_str() {
            "bool" | "boolean" => LakeType::Bool,
            "int8" => LakeType::Int8,
            "int16" => LakeType::Int16,
            "int32" => LakeType::Int32,
            "int64" => LakeType::Int64,
            "uint8" => LakeType::UInt8,
            "uint16" => LakeType::UInt16,
            "uint32" => LakeType::UInt32,
            "uint64" => LakeType::UInt64,
            "float32" => LakeType::Float32,
            "float64" => LakeType::Float64,
            "utf8" | "string" => LakeType::Utf8,
            "binary" => LakeType::Binary,
            "date32" => LakeType::Date32,
            "time64(us)" => LakeType::Time64,
            "timestamp(us)" => LakeType::Timestamp,
            "timestamp(us,utc)" => LakeType::TimestampUtc,
            _ => return None,
        })
    }

    /// Its name as the rules spell it.
    pub fn name(self) -> String {
        match self {
            LakeType::Bool => "bool".into(),
            LakeType::Int8 => "int8".into(),
            LakeType::Int16 => "int16".into(),
            LakeType::Int32 => "int32".into(),
            LakeType::Int64 => "int64".into(),
            LakeType::UInt8 => "uint8".into(),
            LakeType::UInt16 => "uint16".into(),
            LakeType::UInt32 => "uint32".into(),
            LakeType::UInt64 => "uint64".into(),
            LakeType::Float32 => "float32".into(),
            LakeType::Float64 => "float64".into(),
            LakeType::Decimal128(p, s) => format!("decimal128({p},{s})"),
            LakeType::Decimal256(p, s) => format!("decimal256({p},{s})"),
            LakeType::Utf8 => "utf8".into(),
            LakeType::Binary => "binary".into(),
            LakeType::Date32 => "date32".into(),
            LakeType::Time64 => "time64(us)".into(),
            LakeType::Timestamp => "timestamp(us)".into(),
            LakeType::TimestampUtc => "timestamp(us, UTC)".into(),
        }
    }

    /// Its Arrow data type.
    pub fn arrow(self) -> DataType {
        match self {
            LakeType::Bool => DataType::Boolean,
            LakeType::Int8 => DataType::Int8,
            LakeType::Int16 => DataType::Int16,
            LakeType::Int32 => DataType::Int32,
            LakeType::Int64 => DataType::Int64,
            LakeType::UInt8 => DataType::UInt8,
            LakeType::UInt16 => DataType::UInt16,
            LakeType::UInt32 => DataType::UInt32,
            LakeType::UInt64 => DataType::UInt64,
            LakeType::Float32 => DataType::Float32,
            LakeType::Float64 => DataType::Float64,
            LakeType::Decimal128(p, s) => DataType::Decimal128(p, s),
            LakeType::Decimal256(p, s) => DataType::Decimal256(p, s),
            LakeType::Utf8 => DataType::Utf8,
            LakeType::Binary => DataType::Binary,
            LakeType::Date32 => DataType::Date32,
            LakeType::Time64 => DataType::Time64(TimeUnit::Microsecond),
            LakeType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            LakeType::TimestampUtc => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")))
            }
        }
    }

    /// The canonical kind a value is put in before it is parsed into this type (bits become
    /// their integer, spatial values EWKB...; see [`crate::engines::values::fix_str`]).
    pub fn kind(self, from: Kind) -> Kind {
        match self {
            LakeType::Bool => Kind::Bool,
            LakeType::Int8
            | LakeType::Int16
            | LakeType::Int32
            | LakeType::Int64
            | LakeType::UInt8
            | LakeType::UInt16
            | LakeType::UInt32
            | LakeType::UInt64 => Kind::Integer,
            LakeType::Float32 | LakeType::Float64 => Kind::Float,
            LakeType::Decimal128(..) | LakeType::Decimal256(..) => Kind::Decimal,
            LakeType::Binary => Kind::Binary,
            LakeType::Date32 => Kind::Date,
            LakeType::Time64 => Kind::Time,
            LakeType::Timestamp => Kind::Timestamp,
            LakeType::TimestampUtc => Kind::TimestampTz,
            LakeType::Utf8 => from,
        }
    }
}

/// A `*-to-parquet.ron` file.
#[derive(Debug, Clone, Deserialize)]
pub struct LakeRules {
    pub source: Dialect,
    pub types: Vec<TypeRule>,
}

const SHIPPED: &[(&str, &str)] = &[
    (
        "mysql-to-parquet.ron",
        include_str!("../../conversion-rules/mysql-to-parquet.ron"),
    ),
    (
        "postgres-to-parquet.ron",
        include_str!("../../conversion-rules/postgres-to-parquet.ron"),
    ),
    (
        "sqlite-to-parquet.ron",
        include_str!("../../conversion-rules/sqlite-to-parquet.ron"),
    ),
];

impl LakeRules {
    /// The shipped rules for a source of dialect `source`.
    pub fn shipped(source: Dialect) -> Result<LakeRules> {
        for (name, text) in SHIPPED {
            let rules: LakeRules = ron::Options::default()
                .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
                .from_str(text)
                .map_err(|e| Error::FileFormat {
                    path: format!("conversion-rules/{name}").into(),
                    line: e.span.start.line,
                    column: e.span.start.col,
                    message: format!("malformed Parquet type rules: {}", e.code),
                })?;
            if rules.source == source {
                return Ok(rules);
            }
        }
        Err(Error::Invalid {
            what: "Parquet target".into(),
            reason: format!("no Parquet type rules for {} sources", source.label()),
        })
    }

    /// The Parquet type of a column of type `t` (read as `kind`), with the action item its
    /// rule raises. Arrays are their JSON text.
    pub fn map(
        &self,
        t: &crate::model::DataType,
        kind: Kind,
    ) -> Result<(LakeType, Option<RuleAction>)> {
        if kind == Kind::Array {
            return Ok((LakeType::Utf8, None));
        }
        let (rule, to) = first_match(&self.types, t, |_| false).ok_or_else(|| Error::Invalid {
            what: "Parquet type rules".into(),
            reason: format!("no rule maps type {}", t.declared),
        })?;
        let lake = LakeType::parse(&to).ok_or_else(|| Error::Invalid {
            what: "Parquet type rules".into(),
            reason: format!(
                "'{to}' (for type {}) is not a Parquet type Tugboat writes",
                t.declared
            ),
        })?;
        Ok((lake, rule.action.clone()))
    }
}

/// One column of a table's Parquet files, as its schema file says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LakeColumn {
    pub name: String,
    /// The source's type as declared.
    pub source_type: String,
    /// The Arrow type, as the rules spell it.
    pub arrow_type: String,
    pub nullable: bool,
    /// What the mapping's rule says about it (an action item's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The schema file of a table (`_schema.json` in its folder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LakeSchema {
    /// `schema.table` on the source.
    pub source: String,
    pub columns: Vec<LakeColumn>,
    /// The source's primary key columns (empty when it has none).
    pub primary_key: Vec<String>,
}

impl LakeSchema {
    /// The Arrow schema of the table's files (`types`: each column's type, in order).
    pub fn arrow(&self, types: &[LakeType]) -> Arc<Schema> {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .zip(types)
                .map(|(c, t)| Field::new(&c.name, t.arrow(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DataType as T;

    fn t(declared: &str) -> T {
        crate::sqltext::parse_declared_type(declared)
    }

    #[test]
    fn every_source_type_maps_to_a_parquet_type_that_holds_its_values() {
        let my = LakeRules::shipped(Dialect::MySql).unwrap();
        let pg = LakeRules::shipped(Dialect::Postgres).unwrap();
        let lite = LakeRules::shipped(Dialect::Sqlite).unwrap();
        let m = |r: &LakeRules, d: &str| r.map(&t(d), Kind::Text).unwrap().0;
        assert_eq!(m(&my, "bigint unsigned"), LakeType::UInt64);
        assert_eq!(m(&my, "tinyint(1)"), LakeType::Int8);
        assert_eq!(m(&my, "decimal(65,30)"), LakeType::Decimal256(65, 30));
        assert_eq!(m(&my, "decimal(10,2)"), LakeType::Decimal128(10, 2));
        assert_eq!(m(&my, "timestamp(6)"), LakeType::TimestampUtc);
        assert_eq!(m(&my, "datetime"), LakeType::Timestamp);
        assert_eq!(m(&my, "enum('a','b')"), LakeType::Utf8);
        assert_eq!(m(&my, "time"), LakeType::Utf8);
        assert_eq!(m(&pg, "numeric"), LakeType::Utf8);
        assert_eq!(m(&pg, "numeric(12,4)"), LakeType::Decimal128(12, 4));
        assert_eq!(m(&pg, "timestamp with time zone"), LakeType::TimestampUtc);
        assert_eq!(m(&pg, "real"), LakeType::Float32);
        assert_eq!(m(&lite, "INTEGER"), LakeType::Int64);
        assert_eq!(m(&lite, "DATETIME"), LakeType::Utf8);
        assert_eq!(
            pg.map(&t("integer[]"), Kind::Array).unwrap().0,
            LakeType::Utf8
        );
        assert!(pg.map(&t("numeric"), Kind::Decimal).unwrap().1.is_some());
        for t in [
            LakeType::Bool,
            LakeType::UInt64,
            LakeType::Decimal128(38, 10),
            LakeType::Decimal256(76, 0),
            LakeType::Time64,
            LakeType::Timestamp,
            LakeType::TimestampUtc,
            LakeType::Binary,
        ] {
            assert_eq!(LakeType::parse(&t.name()), Some(t), "{}", t.name());
        }
        assert_eq!(LakeType::parse("decimal128(39,2)"), None);
        assert_eq!(LakeType::parse("decimal256(10,11)"), None);
    }
}
