//! DDL captured on the source, applied to the target: columns added to a replicated table (converted as the schema converter converts them), TRUNCATE.

use super::*;

impl Applier {
    /// Adds to the target table of `label` the columns `table` (its definition on the source
    /// now) has beyond the ones replicated so far, converted as the schema converter converts
    /// them; from then on changes carry them. Err: why it could not (the table is suspended).
    pub async fn add_columns(
        &mut self,
        label: &str,
        table: &crate::model::Table,
        source_engine: Engine,
    ) -> std::result::Result<(), String> {
        let engine = self.target.endpoint.engine;
        let Some(t) = self.tables.get(label) else {
            return Ok(());
        };
        let (target_sql, source_schema) = (t.p.target_sql.clone(), t.p.plan.source_schema.clone());
        let mut cols: Vec<&crate::model::Column> = table.columns.iter().collect();
        cols.sort_by_key(|c| c.ordinal);
        let new: Vec<(usize, &crate::model::Column)> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| !t.p.plan.table.columns.iter().any(|o| o.name == c.name))
            .map(|(i, c)| (i, *c))
            .collect();
        // The converter's column definitions for the target.
        let dialect = crate::ddl::Dialect::of_engine;
        let mut catalog = crate::model::Catalog {
            engine: Some(source_engine),
            ..Default::default()
        };
        let mut one = table.clone();
        one.foreign_keys.clear();
        catalog.schemas.push(crate::model::Schema {
            name: source_schema,
            tables: vec![one],
            ..Default::default()
        });
        let src = crate::conversion::Source::from_catalog("", catalog);
        let rules = crate::conversion::RuleSet::shipped(dialect(source_engine), dialect(engine))
            .map_err(|e| e.to_string())?;
        let report =
            crate::conversion::convert(&src, dialect(engine), &rules).map_err(|e| e.to_string())?;
        let create = report
            .objects
            .iter()
            .flat_map(|o| o.target.iter())
            .find(|s| s.sql.starts_with("CREATE TABLE"))
            .map(|s| s.sql.clone())
            .ok_or("the converter gave no table definition")?;
        let mut added = vec![];
        for (at, c) in &new {
            let line = create
                .lines()
                .map(|l| l.trim().trim_end_matches(','))
                .find(|l| {
                    l.split_whitespace().next().is_some_and(|w| {
                        w.trim_matches(['"', '`', '[', ']'])
                            .eq_ignore_ascii_case(&c.name)
                    })
                })
                .ok_or_else(|| format!("column {} not found in the converted definition", c.name))?
                .to_string();
            let name = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_matches(['"', '`', '[', ']'])
                .to_string();
            let sql = format!("ALTER TABLE {target_sql} ADD COLUMN {line}");
            // Inside the open transaction of a large source transaction (never on MySQL, whose
            // ALTER commits): a failure must not abort what that transaction holds.
            let guarded = self.open.is_some();
            let run = if guarded {
                format!("SAVEPOINT tugboat_ddl;\n{sql}")
            } else {
                sql.clone()
            };
            let conn = self.conn().await.map_err(|e| e.to_string())?;
            if let Err(e) = conn.run(run).await {
                if guarded {
                    crate::error::logged(
                        "rolling back the refused DDL",
                        conn.run("ROLLBACK TO SAVEPOINT tugboat_ddl".into()).await,
                    );
                }
                return Err(format!("{sql}: {e}"));
            }
            tracing::info!(target: "tugboat::cdc", "{label}: {sql}");
            let ty = crate::sqltext::parse_declared_type(
                line.split_whitespace().nth(1).unwrap_or("text"),
            );
            added.push((*at, (*c).clone(), name, values::kind(engine, &ty)));
        }
        let Some(t) = self.tables.get_mut(label) else {
            return Ok(());
        };
        for (at, c, name, kind) in added {
            t.p.columns.push((
                c.name.clone(),
                values::quote(engine, &name),
                values::kind(source_engine, &c.data_type),
                kind,
            ));
            t.p.target_columns.push(name);
            t.p.source_exprs.push(None);
            t.p.lobs.push(values::is_lob(&c.data_type));
            t.src.push(Src::Row(at));
        }
        t.p.plan.table = table.clone();
        self.counts.entry(label.to_string()).or_default().ddls += 1;
        Ok(())
    }

    /// Empties the target table of `table` (a TRUNCATE on the source).
    pub async fn truncate(&mut self, table: &str) -> Result<()> {
        if let Some(t) = self.tables.get(table) {
            let sql = if self.open.is_some() {
                // Inside the open transaction of a large source transaction (MySQL's TRUNCATE
                // would commit it).
                format!("DELETE FROM {}", t.p.target_sql)
            } else {
                crate::engines::of(self.target.endpoint.engine).truncate_sql(&t.p.target_sql)
            };
            self.conn().await?.run(sql).await.map_err(|e| self.err(e))?;
            self.counts.entry(table.to_string()).or_default().ddls += 1;
        }
        Ok(())
    }
}
