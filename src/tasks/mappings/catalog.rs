//! The source catalog shaped as the target should have it (selected tables, renamed, columns removed, added or retyped), for the schema converter; what cannot follow a rename is named in notes.

use super::*;

/// The source catalog as the target should have it, for the schema converter: only the
/// selected tables, named as the transformations say, without removed columns, with added
/// columns and changed types. Keys, indexes and foreign keys follow the renames (a foreign key
/// to a table not selected is left out); an index, key or check on a removed column, and checks,
/// expression indexes and triggers of tables whose columns were renamed are left out, each
/// named in the returned notes.
pub fn rewrite_catalog(
    catalog: &Catalog,
    plans: &[TablePlan],
    rename_schemas: bool,
) -> (Catalog, Vec<String>) {
    use crate::model::{Column, Schema};
    let mut notes = vec![];
    let mut out = Catalog {
        schemas: vec![],
        ..catalog.clone()
    };
    let find_plan = |schema: &str, table: &str| {
        plans.iter().find(|p| {
            p.source_schema.eq_ignore_ascii_case(schema)
                && p.source_table.eq_ignore_ascii_case(table)
        })
    };
    for sc in &catalog.schemas {
        let mut tables = vec![];
        let mut triggers = vec![];
        for p in plans.iter().filter(|p| p.source_schema == sc.name) {
            let t = &p.table;
            let map: std::collections::HashMap<String, String> = p
                .columns
                .iter()
                .filter(|c| c.expression.is_none())
                .map(|c| (c.source.to_lowercase(), c.target.clone()))
                .collect();
            let renamed = p
                .columns
                .iter()
                .any(|c| c.expression.is_none() && !c.source.eq_ignore_ascii_case(&c.target))
                || t.columns
                    .iter()
                    .any(|c| c.generated.is_none() && !map.contains_key(&c.name.to_lowercase()));
            let col = |c: &str| map.get(&c.to_lowercase()).cloned();
            let all = |cs: &[String]| cs.iter().map(|c| col(c)).collect::<Option<Vec<String>>>();
            let label = format!("{}.{}", p.source_schema, p.source_table);
            let mut nt = t.clone();
            nt.name = p.target_table.clone();
            nt.columns = vec![];
            for (n, c) in p.columns.iter().enumerate() {
                let owner = p.owner.as_ref().is_some_and(|o| o.column == c.target);
                let mut column = match &c.expression {
                    Some(_) => Column {
                        nullable: !owner,
                        ..Default::default()
                    },
                    None => match t.columns.iter().find(|x| x.name == c.source) {
                        Some(x) => x.clone(),
                        None => continue,
                    },
                };
                column.name = c.target.clone();
                column.ordinal = n as u32 + 1;
                if let Some(dt) = &c.data_type {
                    column.data_type = crate::sqltext::parse_declared_type(dt);
                    if c.expression.is_none() {
                        column.default = None;
                        column.identity = None;
                    }
                }
                nt.columns.push(column);
            }
            if !renamed {
                // Generated columns are computed from the others: kept when no name changed.
                for g in t.columns.iter().filter(|c| c.generated.is_some()) {
                    nt.columns.push(g.clone());
                }
            }
            nt.primary_key = t.primary_key.as_ref().and_then(|k| {
                let cols = all(&k.columns);
                if cols.is_none() {
                    notes.push(format!(
                        "{label}: primary key left out (a column of it is removed)"
                    ));
                }
                cols.map(|columns| crate::model::PrimaryKey {
                    name: k.name.clone(),
                    columns,
                })
            });
            nt.unique_constraints = t
                .unique_constraints
                .iter()
                .filter_map(|u| {
                    all(&u.columns).map(|columns| crate::model::UniqueConstraint {
                        name: u.name.clone(),
                        columns,
                    })
                })
                .collect();
            if renamed && !t.check_constraints.is_empty() {
                notes.push(format!(
                    "{label}: {} check constraints left out (columns renamed or removed)",
                    t.check_constraints.len()
                ));
                nt.check_constraints.clear();
            }
            nt.indexes = t
                .indexes
                .iter()
                .filter_map(|ix| {
                    let mut ix = ix.clone();
                    for part in &mut ix.parts {
                        match &part.column {
                            Some(c) => part.column = Some(col(c)?),
                            None if renamed => return None,
                            None => {}
                        }
                    }
                    if renamed && ix.predicate.is_some() {
                        return None;
                    }
                    Some(ix)
                })
                .collect();
            if nt.indexes.len() < t.indexes.len() {
                notes.push(format!(
                    "{label}: {} indexes left out (on removed or renamed columns)",
                    t.indexes.len() - nt.indexes.len()
                ));
            }
            nt.foreign_keys = t
                .foreign_keys
                .iter()
                .filter_map(|fk| {
                    let parent = find_plan(
                        fk.referenced_schema.as_deref().unwrap_or(&sc.name),
                        &fk.referenced_table,
                    )?;
                    let pmap = |c: &String| {
                        parent
                            .columns
                            .iter()
                            .find(|x| x.expression.is_none() && x.source.eq_ignore_ascii_case(c))
                            .map(|x| x.target.clone())
                    };
                    let mut fk = fk.clone();
                    fk.columns = all(&fk.columns)?;
                    fk.referenced_columns = fk
                        .referenced_columns
                        .iter()
                        .map(pmap)
                        .collect::<Option<_>>()?;
                    fk.referenced_table = parent.target_table.clone();
                    if rename_schemas {
                        fk.referenced_schema = Some(parent.target_schema.clone());
                    }
                    Some(fk)
                })
                .collect();
            if nt.foreign_keys.len() < t.foreign_keys.len() {
                notes.push(format!(
                    "{label}: {} foreign keys left out (parent not selected, or a column removed)",
                    t.foreign_keys.len() - nt.foreign_keys.len()
                ));
            }
            if let Some(o) = &p.owner {
                // (The foreign keys name their parents as the target has them by now.)
                let parent_owner = |fk: &crate::model::ForeignKey| {
                    let schema = fk.referenced_schema.as_deref().unwrap_or(&sc.name);
                    plans
                        .iter()
                        .find(|q| {
                            q.target_table.eq_ignore_ascii_case(&fk.referenced_table)
                                && (q.target_schema.eq_ignore_ascii_case(schema)
                                    || q.source_schema.eq_ignore_ascii_case(schema))
                        })
                        .and_then(|parent| parent.owner.as_ref())
                        .map(|po| po.column.clone())
                };
                owned(&mut nt, o, parent_owner, &label, &mut notes);
            }
            for tr in sc.triggers.iter().filter(|x| x.table == t.name) {
                if renamed || !p.target_table.eq_ignore_ascii_case(&t.name) {
                    notes.push(format!(
                        "{label}: trigger {} left out (the table or its columns are renamed)",
                        tr.name
                    ));
                } else {
                    triggers.push(tr.clone());
                }
            }
            let schema = if rename_schemas {
                p.target_schema.clone()
            } else {
                sc.name.clone()
            };
            tables.push((schema, nt));
        }
        let mut base = Schema {
            name: sc.name.clone(),
            tables: vec![],
            views: vec![],
            routines: vec![],
            triggers,
            sequences: sc.sequences.clone(),
            types: sc.types.clone(),
        };
        for (schema, t) in tables {
            if schema == base.name {
                base.tables.push(t);
            } else {
                match out.schemas.iter_mut().find(|s| s.name == schema) {
                    Some(s) => s.tables.push(t),
                    None => out.schemas.push(Schema {
                        name: schema,
                        tables: vec![t],
                        ..Default::default()
                    }),
                }
            }
        }
        out.schemas.push(base);
    }
    (out, notes)
}

/// Table `t` holding the rows of several sources told apart by `o`'s column: the column first
/// in its primary key, unique constraints and unique indexes (a key is unique per source); a
/// foreign key goes through the column too when its parent has one (`parent_owner`), and is
/// left out (with a note) when not, or when it would set the column to NULL or its default;
/// an identity column moved out of the key's first place gets an index of its own (MySQL
/// requires one, and lookups by it stay fast).
fn owned(
    t: &mut crate::model::Table,
    o: &Owner,
    parent_owner: impl Fn(&crate::model::ForeignKey) -> Option<String>,
    label: &str,
    notes: &mut Vec<String>,
) {
    use crate::model::ReferentialAction as R;
    let first = |cols: &mut Vec<String>| {
        if !cols.iter().any(|c| c.eq_ignore_ascii_case(&o.column)) {
            cols.insert(0, o.column.clone());
        }
    };
    let mut identity_keys = vec![];
    if let Some(k) = &mut t.primary_key {
        identity_keys.extend(k.columns.first().cloned().filter(|c| {
            t.columns
                .iter()
                .any(|x| &x.name == c && x.identity.is_some())
        }));
        first(&mut k.columns);
    }
    for u in &mut t.unique_constraints {
        first(&mut u.columns);
    }
    for ix in t.indexes.iter_mut().filter(|ix| ix.unique) {
        if !ix.parts.iter().any(|p| {
            p.column
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(&o.column))
        }) {
            ix.parts.insert(
                0,
                crate::model::IndexPart {
                    column: Some(o.column.clone()),
                    ..Default::default()
                },
            );
        }
    }
    for c in identity_keys {
        let covered = t
            .indexes
            .iter()
            .any(|ix| ix.parts.first().and_then(|p| p.column.as_deref()) == Some(c.as_str()));
        if !covered {
            t.indexes.push(crate::model::Index {
                name: format!("{}_{}_idx", t.name, c),
                unique: false,
                method: None,
                parts: vec![crate::model::IndexPart {
                    column: Some(c),
                    ..Default::default()
                }],
                predicate: None,
                ignore_dup_key: false,
            });
        }
    }
    let before = t.foreign_keys.len();
    t.foreign_keys.retain_mut(|fk| {
        let sets = |a: R| matches!(a, R::SetNull | R::SetDefault);
        match parent_owner(fk) {
            Some(pc) if !sets(fk.on_delete) && !sets(fk.on_update) => {
                first(&mut fk.columns);
                if !fk
                    .referenced_columns
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&pc))
                {
                    fk.referenced_columns.insert(0, pc);
                }
                true
            }
            _ => false,
        }
    });
    if t.foreign_keys.len() < before {
        notes.push(format!(
            "{label}: {} foreign keys left out (their parent has no source column, or they set columns to NULL or their default, which would change the source column)",
            before - t.foreign_keys.len()
        ));
    }
}
