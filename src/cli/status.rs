//! `tugboat status PROJECT`: every task of a project where it stands, from its target's
//! control tables ([`crate::runner::status`]), tasks sharing a target totalled together.

use std::path::PathBuf;

use super::TargetArgs;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::runner::status::{TaskStatus, Totals};

/// One task's line: its figures, or why its target could not be read.
#[derive(serde::Serialize)]
struct Line {
    source: String,
    target: String,
    #[serde(flatten)]
    status: Option<TaskStatus>,
    error: Option<String>,
}

pub(super) async fn status(project: PathBuf, json: bool) -> Result<()> {
    let p = Project::load(&project)?;
    let mut open: Vec<(String, std::sync::Arc<crate::runner::Target>)> = vec![];
    let mut lines = vec![];
    for t in &p.tasks {
        let name_of = |r: &str| p.task_endpoint(r).map_or(r.to_string(), |e| e.name.clone());
        let (source, target) = (name_of(&t.source), name_of(&t.target));
        let got = async {
            // A target endpoint resolved and connected once, whatever tasks share it.
            let conn = match open.iter().find(|(k, _)| *k == target) {
                Some((_, c)) => c.clone(),
                None => {
                    let (mut te, tp) = TargetArgs {
                        endpoint: target.clone(),
                        project: Some(project.clone()),
                        password_env: None,
                        timeout: None,
                    }
                    .resolve()?;
                    te.role = crate::endpoints::Role::Target;
                    let c = std::sync::Arc::new(crate::runner::Target::open(&te, tp).await?);
                    open.push((target.clone(), c.clone()));
                    c
                }
            };
            crate::runner::status::of_target(&conn, &t.name).await
        }
        .await;
        let (status, error) = match got {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.to_string())),
        };
        lines.push(Line {
            source,
            target,
            status,
            error,
        });
    }
    for (_, c) in open {
        if let Ok(c) = std::sync::Arc::try_unwrap(c) {
            c.close().await;
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&lines).unwrap_or_default()
        );
    } else {
        print(&lines);
    }
    let failed: Vec<&str> = lines
        .iter()
        .filter(|l| l.error.is_some())
        .map(|l| l.target.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid {
            what: format!("the status of {}", project.display()),
            reason: format!("target {} could not be read", failed.join(", ")),
        })
    }
}

fn print(lines: &[Line]) {
    println!(
        "{:<20} {:<24} {:<12} {:>7} {:>12} {:>10} {:>6} {:>10} {:>8} {:>9}  source",
        "task",
        "source -> target",
        "state",
        "tables",
        "rows loaded",
        "changes",
        "lag",
        "applied",
        "refused",
        "suspended"
    );
    for l in lines {
        let route = format!("{} -> {}", l.source, l.target);
        let Some(s) = &l.status else {
            println!(
                "{:<20} {route:<24} ERROR {}",
                "?",
                l.error.as_deref().unwrap_or_default()
            );
            continue;
        };
        println!(
            "{:<20} {route:<24} {:<12} {:>7} {:>12} {:>10} {:>6} {:>10} {:>8} {:>9}  {}",
            s.task,
            s.state(),
            format!("{}/{}", s.tables_completed, s.tables),
            s.rows_loaded,
            s.changes.map_or("-".into(), |c| c.to_string()),
            s.lag_text(),
            s.last_apply_seconds
                .map_or("-".into(), |a| format!("{a} s ago")),
            s.exceptions,
            s.suspended,
            if s.source_values.is_empty() {
                "-".to_string()
            } else {
                s.source_values.join(", ")
            }
        );
    }
    // Tasks sharing a target, totalled.
    let mut targets: Vec<&str> = lines.iter().map(|l| l.target.as_str()).collect();
    targets.sort();
    targets.dedup();
    for target in targets {
        let of: Vec<&TaskStatus> = lines
            .iter()
            .filter(|l| l.target == target)
            .filter_map(|l| l.status.as_ref())
            .collect();
        if of.len() < 2 {
            continue;
        }
        let t = Totals::of(of);
        println!(
            "{target}: {} tasks, {} rows loaded, {} changes applied, largest lag {}, {} refused, {} suspended",
            t.tasks,
            t.rows_loaded,
            t.changes,
            t.lag_seconds.map_or("-".into(), |l| format!("{l:.0} s")),
            t.exceptions,
            t.suspended
        );
    }
}
