//! AWS DMS's table-mapping JSON read into [`TableMappings`], so mappings written for DMS work as they are; errors name the file and the rule.

use super::*;

impl TableMappings {
    /// Reads table mappings in AWS DMS's JSON (`{"rules": [...]}` with `rule-type` selection
    /// or transformation, `object-locator`, `rule-action`, `filters`, `value`, `expression`,
    /// `data-type`), so mappings written for DMS work as they are. `file` names the source of
    /// the text in errors, which also name the rule.
    pub fn from_dms_json(text: &str, file: &str) -> Result<TableMappings> {
        use serde_json::Value;
        let bad = |reason: String| Error::Invalid {
            what: format!("table mappings {file}"),
            reason,
        };
        let v: Value = serde_json::from_str(text)
            .map_err(|e| bad(format!("line {}, column {}: {e}", e.line(), e.column())))?;
        let rules = v
            .get("rules")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no \"rules\" array".into()))?;
        let mut m = TableMappings::default();
        for (n, r) in rules.iter().enumerate() {
            let id = r
                .get("rule-id")
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .unwrap_or_else(|| (n + 1).to_string());
            let s = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
            let loc = r.get("object-locator").cloned().unwrap_or(Value::Null);
            let schema = s(&loc, "schema-name").unwrap_or_else(any);
            let table = s(&loc, "table-name").unwrap_or_else(any);
            let action = s(r, "rule-action").unwrap_or_default();
            let rule_err = |what: String| bad(format!("rule {id}: {what}"));
            match s(r, "rule-type").as_deref() {
                Some("selection") => {
                    let action = match action.as_str() {
                        "include" => SelectionAction::Include,
                        "exclude" => SelectionAction::Exclude,
                        "explicit" => SelectionAction::Explicit,
                        o => return Err(rule_err(format!("unknown selection action '{o}'"))),
                    };
                    let mut filters = vec![];
                    for f in r
                        .get("filters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let column = s(f, "column-name")
                            .ok_or_else(|| rule_err("a filter without column-name".into()))?;
                        for c in f
                            .get("filter-conditions")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let op = match s(c, "filter-operator").as_deref() {
                                Some("eq") => FilterOp::Eq,
                                Some("noteq") => FilterOp::Noteq,
                                Some("gte") => FilterOp::Gte,
                                Some("lte") => FilterOp::Lte,
                                Some("between") => FilterOp::Between,
                                Some("notbetween") => FilterOp::Notbetween,
                                Some("null") => FilterOp::Null,
                                Some("notnull") => FilterOp::Notnull,
                                o => {
                                    return Err(rule_err(format!(
                                        "unknown filter operator {o:?} on {column}"
                                    )));
                                }
                            };
                            let val = |k: &str| {
                                c.get(k).and_then(|x| match x {
                                    Value::String(s) => Some(s.clone()),
                                    Value::Null => None,
                                    o => Some(o.to_string()),
                                })
                            };
                            filters.push(Filter {
                                column: column.clone(),
                                op,
                                value: val("value").or_else(|| val("start-value")),
                                end: val("end-value"),
                            });
                        }
                    }
                    m.selection.push(Selection {
                        action,
                        schema,
                        table,
                        filters,
                    });
                }
                Some("transformation") => {
                    let target = match s(r, "rule-target").as_deref() {
                        Some("schema") => Target::Schema,
                        Some("table") => Target::Table,
                        Some("column") => Target::Column,
                        o => return Err(rule_err(format!("unknown rule-target {o:?}"))),
                    };
                    let value =
                        || s(r, "value").ok_or_else(|| rule_err(format!("{action} needs a value")));
                    let data_type = || -> Result<String> {
                        let d = r
                            .get("data-type")
                            .ok_or_else(|| rule_err(format!("{action} needs a data-type")))?;
                        let num = |k: &str| d.get(k).and_then(Value::as_u64);
                        let t = s(d, "type").unwrap_or_default();
                        Ok(match t.as_str() {
                            "string" | "wstring" => {
                                format!("varchar({})", num("length").unwrap_or(255))
                            }
                            "int1" | "int2" | "uint1" => "smallint".into(),
                            "int4" | "uint2" => "integer".into(),
                            "int8" | "uint4" => "bigint".into(),
                            "uint8" => "numeric(20,0)".into(),
                            "numeric" => format!(
                                "numeric({},{})",
                                num("precision").unwrap_or(38),
                                num("scale").unwrap_or(0)
                            ),
                            "real4" => "real".into(),
                            "real8" => "double precision".into(),
                            "date" => "date".into(),
                            "time" => "time".into(),
                            "datetime" => "timestamp".into(),
                            "boolean" => "boolean".into(),
                            "clob" | "nclob" => "text".into(),
                            "blob" | "bytes" => "blob".into(),
                            o => return Err(rule_err(format!("unknown data-type '{o}'"))),
                        })
                    };
                    let mut column = s(&loc, "column-name").unwrap_or_else(any);
                    let action = match action.as_str() {
                        "rename" => TransformAction::Rename(value()?),
                        "add-prefix" => TransformAction::AddPrefix(value()?),
                        "remove-prefix" => TransformAction::RemovePrefix(value()?),
                        "add-suffix" => TransformAction::AddSuffix(value()?),
                        "remove-suffix" => TransformAction::RemoveSuffix(value()?),
                        "convert-lowercase" => TransformAction::ConvertLowercase,
                        "convert-uppercase" => TransformAction::ConvertUppercase,
                        "remove-column" => TransformAction::RemoveColumn,
                        "change-data-type" => TransformAction::ChangeDataType(data_type()?),
                        "add-column" => {
                            column = value()?;
                            TransformAction::AddColumn {
                                data_type: data_type()?,
                                expression: s(r, "expression").ok_or_else(|| {
                                    rule_err("add-column needs an expression".into())
                                })?,
                            }
                        }
                        o => {
                            return Err(rule_err(format!(
                                "rule-action '{o}' is not supported by Tugboat"
                            )));
                        }
                    };
                    m.transformations.push(Transformation {
                        target,
                        schema,
                        table,
                        column,
                        action,
                    });
                }
                o => return Err(rule_err(format!("unknown rule-type {o:?}"))),
            }
        }
        Ok(m)
    }
}
