//! PostgreSQL domains for targets that have none: each column of a domain takes, besides the
//! domain's base type, its NOT NULL, its default (where the column has none of its own) and
//! its checks, as the table's checks with `VALUE` standing for the column. Without this a
//! `positive_numeric NOT NULL DEFAULT 0 CHECK (VALUE >= 0)` column would arrive as a plain
//! nullable decimal, and a row the source refused (or filled with 0) would be kept as NULL.

use super::Source;
use crate::ddl::Dialect;
use crate::model::{CheckConstraint, UserTypeKind};

/// Carries every domain's rules into the columns that use it (for a target other than
/// PostgreSQL, whose domains stay domains).
pub fn inline(src: &mut Source, target: Dialect) {
    if src.dialect != Dialect::Postgres || target == Dialect::Postgres {
        return;
    }
    // (schema, domain) and its rules.
    let domains: Vec<(String, String, UserTypeKind)> = src
        .catalog
        .schemas
        .iter()
        .flat_map(|s| {
            s.types
                .iter()
                .filter(|u| matches!(u.kind, UserTypeKind::Domain { .. }))
                .map(move |u| (s.name.clone(), u.name.clone(), u.kind.clone()))
        })
        .collect();
    if domains.is_empty() {
        return;
    }
    for s in &mut src.catalog.schemas {
        for t in &mut s.tables {
            let mut checks = vec![];
            for c in &mut t.columns {
                let Some(schema) = c.data_type.type_schema.as_deref() else {
                    continue;
                };
                let Some((
                    _,
                    _,
                    UserTypeKind::Domain {
                        nullable,
                        default,
                        checks: domain_checks,
                        ..
                    },
                )) = domains
                    .iter()
                    .find(|(ds, dn, _)| ds == schema && *dn == c.data_type.name)
                else {
                    continue;
                };
                if !nullable {
                    c.nullable = false;
                }
                if c.default.is_none() {
                    c.default.clone_from(default);
                }
                for (i, check) in domain_checks.iter().enumerate() {
                    checks.push(CheckConstraint {
                        name: Some(format!(
                            "{}_{}_check{}",
                            t.name,
                            c.name,
                            if i == 0 { String::new() } else { i.to_string() }
                        )),
                        expression: for_column(check, &c.name),
                    });
                }
            }
            t.check_constraints.extend(checks);
        }
    }
}

/// `CHECK (VALUE >= 0)` for column `col`: `(col >= 0)`.
fn for_column(check: &str, col: &str) -> String {
    let mut e = check.trim().to_string();
    if e.to_ascii_uppercase().starts_with("CHECK") {
        e = e[5..].trim().to_string();
    }
    let name = if col
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        col.to_string()
    } else {
        crate::sqltext::quoted_ident(col, crate::sqltext::IdentQuote::Double)
    };
    let mut from = 0;
    while let Some(p) = crate::sqltext::find_keyword(&e.to_ascii_uppercase(), "VALUE", from) {
        e.replace_range(p..p + 5, &name);
        from = p + name.len();
    }
    e
}

#[cfg(test)]
mod tests {
    #[test]
    fn value_becomes_the_column() {
        assert_eq!(
            super::for_column("CHECK ((VALUE >= 0) AND VALUE <> 'value')", "tonnage"),
            "((tonnage >= 0) AND tonnage <> 'value')"
        );
        assert_eq!(
            super::for_column("CHECK (VALUE > 1)", "Size"),
            "(\"Size\" > 1)"
        );
    }
}
