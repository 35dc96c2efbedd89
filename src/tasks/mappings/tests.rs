//! Table mappings: DMS's JSON read, wildcards, rules in order, bad rules refused, source columns.

use super::*;
use crate::model::{Column, Schema};

fn catalog() -> Catalog {
    let t = |n: &str, cols: &[&str]| Table {
        name: n.into(),
        columns: cols
            .iter()
            .map(|c| Column {
                name: c.to_string(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    Catalog {
        schemas: vec![Schema {
            name: "sakila".into(),
            tables: vec![
                t("actor", &["actor_id", "first_name"]),
                t("film", &["film_id", "title"]),
                t("film_actor", &["actor_id", "film_id"]),
            ],
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn dms_json_mappings_are_read_as_dms_writes_them() {
    let m = TableMappings::from_dms_json(
        r#"{"rules": [
          {"rule-type": "selection", "rule-id": "1", "rule-name": "1",
           "object-locator": {"schema-name": "sakila", "table-name": "%"}, "rule-action": "include",
           "filters": [{"filter-type": "source", "column-name": "rental_id",
             "filter-conditions": [{"filter-operator": "between", "start-value": "10", "end-value": 20}]}]},
          {"rule-type": "selection", "rule-id": "2", "object-locator": {"schema-name": "sakila", "table-name": "film_text"}, "rule-action": "exclude"},
          {"rule-type": "transformation", "rule-id": "3", "rule-target": "table",
           "object-locator": {"schema-name": "sakila", "table-name": "customer"}, "rule-action": "rename", "value": "client"},
          {"rule-type": "transformation", "rule-id": "4", "rule-target": "column",
           "object-locator": {"schema-name": "%", "table-name": "%"}, "rule-action": "add-column",
           "value": "migrated_by", "expression": "'tugboat'", "data-type": {"type": "string", "length": 20}},
          {"rule-type": "transformation", "rule-id": "5", "rule-target": "column",
           "object-locator": {"schema-name": "%", "table-name": "payment", "column-name": "amount"},
           "rule-action": "change-data-type", "data-type": {"type": "numeric", "precision": 12, "scale": 2}}
        ]}"#,
        "m.json",
    )
    .unwrap();
    assert_eq!(m.selection.len(), 2);
    assert_eq!(m.selection[0].filters[0].op, FilterOp::Between);
    assert_eq!(m.selection[0].filters[0].end.as_deref(), Some("20"));
    assert_eq!(m.selection[1].action, SelectionAction::Exclude);
    assert_eq!(
        m.transformations[0].action,
        TransformAction::Rename("client".into())
    );
    assert_eq!(m.transformations[1].column, "migrated_by");
    assert_eq!(
        m.transformations[2].action,
        TransformAction::ChangeDataType("numeric(12,2)".into())
    );
    let e = TableMappings::from_dms_json(
        r#"{"rules": [{"rule-type": "transformation", "rule-id": "7", "rule-target": "table", "rule-action": "define-primary-key"}]}"#,
        "m.json",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("m.json") && e.contains("rule 7") && e.contains("define-primary-key"),
        "{e}"
    );
    let e = TableMappings::from_dms_json("{\n \"rules\": [,]}", "m.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn wildcards_match_like_dms() {
    assert!(like("film%", "film_actor"));
    assert!(like("f_lm", "FILM"));
    assert!(!like("film_", "film"));
    assert!(like("%", ""));
}

#[test]
fn selection_and_transformations_in_order() {
    let m = TableMappings {
        selection: vec![
            Selection {
                action: SelectionAction::Include,
                schema: "sakila".into(),
                table: "%".into(),
                filters: vec![],
            },
            Selection {
                action: SelectionAction::Exclude,
                schema: "%".into(),
                table: "film_%".into(),
                filters: vec![],
            },
        ],
        transformations: vec![
            Transformation {
                target: Target::Table,
                schema: "%".into(),
                table: "%".into(),
                column: "%".into(),
                action: TransformAction::AddPrefix("old_".into()),
            },
            Transformation {
                target: Target::Column,
                schema: "%".into(),
                table: "actor".into(),
                column: "first_name".into(),
                action: TransformAction::RemoveColumn,
            },
        ],
    };
    let p = plan(&m, &catalog(), |n| n.to_string(), |_| "public".into()).unwrap();
    let names: Vec<&str> = p.iter().map(|t| t.target_table.as_str()).collect();
    assert_eq!(names, ["old_actor", "old_film"]);
    assert_eq!(p[0].columns.len(), 1);
}

#[test]
fn bad_rules_are_refused_before_anything_runs() {
    let mut m = TableMappings::all();
    m.transformations.push(Transformation {
        target: Target::Table,
        schema: "%".into(),
        table: "%".into(),
        column: "%".into(),
        action: TransformAction::Rename("same".into()),
    });
    let e = plan(&m, &catalog(), |n| n.to_string(), |s| s.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("would both be loaded into sakila.same"), "{e}");
    let m = TableMappings {
        selection: vec![Selection {
            action: SelectionAction::Explicit,
            schema: "sakila".into(),
            table: "nope".into(),
            filters: vec![],
        }],
        transformations: vec![],
    };
    let e = plan(&m, &catalog(), |n| n.to_string(), |s| s.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("matches no table"), "{e}");
}

/// A source column: first in the table and in every key through which rows of several
/// sources could collide; foreign keys follow it; bad values refused.
#[test]
fn a_source_column_comes_first_in_the_table_and_its_keys() {
    use crate::model::{ForeignKey, Identity, Index, IndexPart, PrimaryKey};
    let mut cat = catalog();
    let tables = &mut cat.schemas[0].tables;
    tables[0].columns[0].identity = Some(Identity::AutoIncrement { next_value: None });
    tables[0].primary_key = Some(PrimaryKey {
        name: None,
        columns: vec!["actor_id".into()],
    });
    tables[0].indexes.push(Index {
        name: "actor_name".into(),
        unique: true,
        method: None,
        parts: vec![IndexPart {
            column: Some("first_name".into()),
            ..Default::default()
        }],
        predicate: None,
        ignore_dup_key: false,
    });
    tables[2].foreign_keys.push(ForeignKey {
        name: Some("fa_actor".into()),
        columns: vec!["actor_id".into()],
        referenced_schema: None,
        referenced_table: "actor".into(),
        referenced_columns: vec!["actor_id".into()],
        on_update: Default::default(),
        on_delete: Default::default(),
    });
    let rule = |value: &str| Transformation {
        target: Target::Column,
        schema: "%".into(),
        table: "%".into(),
        column: "shard".into(),
        action: TransformAction::SourceColumn {
            value: value.into(),
        },
    };
    let mut m = TableMappings::all();
    m.transformations.push(rule("eu-1"));
    let plans = plan(&m, &cat, |n| n.to_string(), |s| s.to_string()).unwrap();
    assert_eq!(plans[0].columns[0].target, "shard");
    assert_eq!(plans[0].columns[0].expression.as_deref(), Some("'eu-1'"));
    assert_eq!(
        plans[0].owner,
        Some(Owner {
            column: "shard".into(),
            value: "eu-1".into()
        })
    );
    let (shaped, _) = rewrite_catalog(&cat, &plans, false);
    let t = &shaped.schemas[0].tables;
    assert!(!t[0].columns[0].nullable);
    assert_eq!(
        t[0].primary_key.as_ref().unwrap().columns,
        ["shard", "actor_id"]
    );
    let parts =
        |ix: &Index| -> Vec<String> { ix.parts.iter().filter_map(|p| p.column.clone()).collect() };
    assert_eq!(parts(&t[0].indexes[0]), ["shard", "first_name"]);
    // The identity column, out of the key's first place, gets its own index.
    assert_eq!(parts(&t[0].indexes[1]), ["actor_id"]);
    let fk = &t[2].foreign_keys[0];
    assert_eq!(fk.columns, ["shard", "actor_id"]);
    assert_eq!(fk.referenced_columns, ["shard", "actor_id"]);
    // The same with the shard's schema renamed (its parents named as on the target).
    let mut renamed = m.clone();
    renamed.transformations.push(Transformation {
        target: Target::Schema,
        action: TransformAction::Rename("shop".into()),
        ..rule("eu-1")
    });
    let plans = plan(&renamed, &cat, |n| n.to_string(), |s| s.to_string()).unwrap();
    let (shaped, _) = rewrite_catalog(&cat, &plans, true);
    let fa = shaped
        .schemas
        .iter()
        .flat_map(|s| &s.tables)
        .find(|t| t.name == "film_actor")
        .unwrap();
    assert_eq!(fa.foreign_keys[0].columns, ["shard", "actor_id"]);
    // Values that would not be the same literal everywhere, or a second source column.
    for (bad, said) in [("it's", "letters, digits"), ("", "1 to 64")] {
        let mut m = TableMappings::all();
        m.transformations.push(rule(bad));
        let e = plan(&m, &cat, |n| n.to_string(), |s| s.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains(said), "{e}");
    }
    m.transformations.push(rule("us"));
    let e = plan(&m, &cat, |n| n.to_string(), |s| s.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("has a source column already"), "{e}");
    let mut m = TableMappings::all();
    m.transformations.push(Transformation {
        target: Target::Table,
        ..rule("eu")
    });
    let e = plan(&m, &cat, |n| n.to_string(), |s| s.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("rule on columns"), "{e}");
}
