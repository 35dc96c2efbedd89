//! Project files from the command line: the project subcommands (new, show, add-endpoint), and a
//! project's task with its endpoints resolved.

use super::*;

/// An endpoint and its password, resolved.
pub(super) type Resolved = (
    crate::endpoints::Endpoint,
    Option<crate::endpoints::Password>,
);

/// A project's task and its two endpoints, resolved (passwords from the environment or files,
/// never the project).
pub(super) fn project_task(
    project: &std::path::Path,
    task: &str,
) -> Result<(crate::tasks::Task, Resolved, Resolved)> {
    let p = Project::load(project)?;
    let t = p
        .tasks
        .iter()
        .find(|t| t.name == task)
        .cloned()
        .ok_or_else(|| Error::File {
            path: project.to_path_buf(),
            message: format!(
                "no task named '{task}' (the project has: {})",
                p.tasks
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    let endpoint = |reference: &str, role| {
        let name = p
            .task_endpoint(reference)
            .map(|e| e.name.clone())
            .ok_or_else(|| Error::File {
                path: project.to_path_buf(),
                message: format!(
                    "task '{}' names endpoint '{reference}', which the project does not have",
                    t.name
                ),
            })?;
        let (mut e, pw) = TargetArgs {
            endpoint: name,
            project: Some(project.to_path_buf()),
            password_env: None,
            timeout: None,
        }
        .resolve()?;
        e.role = role;
        Ok::<_, Error>((e, pw))
    };
    let s = endpoint(&t.source, crate::endpoints::Role::Source)?;
    let d = endpoint(&t.target, crate::endpoints::Role::Target)?;
    Ok((t, s, d))
}

pub(super) fn project_command(cmd: ProjectCommand) -> Result<()> {
    match cmd {
        ProjectCommand::New { file, name } => {
            if file.exists() {
                return Err(Error::File {
                    path: file,
                    message: "already exists; not overwritten".into(),
                });
            }
            Project {
                name,
                ..Default::default()
            }
            .save(&file)?;
            println!("created {}", file.display());
        }
        ProjectCommand::Show { file } => {
            let p = Project::load(&file)?;
            println!(
                "Project '{}' (format {}), {} endpoint(s)",
                p.name,
                p.format_version,
                p.endpoints.len()
            );
            for e in &p.endpoints {
                let pw = e
                    .password_env
                    .as_ref()
                    .map(|v| format!(", password from ${v}"))
                    .unwrap_or_default();
                println!("  {:<20} {:?} {}{pw}", e.name, e.role, e.url());
            }
        }
        ProjectCommand::AddEndpoint {
            file,
            name,
            url,
            target,
            password_env,
        } => {
            let mut p = Project::load(&file)?;
            if p.endpoint(&name).is_some() {
                return Err(Error::File {
                    path: file,
                    message: format!("an endpoint named '{name}' already exists"),
                });
            }
            let parsed = Endpoint::parse_url(&url)?;
            let mut ep = parsed.endpoint;
            ep.name = name.clone();
            // A data lake is a target whatever the flag says.
            ep.role = if target || !ep.engine.is_database() {
                crate::endpoints::Role::Target
            } else {
                crate::endpoints::Role::Source
            };
            ep.password_env = password_env;
            p.endpoints.push(ep);
            p.save(&file)?;
            if parsed.password.is_some() {
                eprintln!(
                    "note: the password in the URL was not saved; use --password-env, ~/.pgpass or ~/.my.cnf"
                );
            }
            println!("added endpoint '{name}' to {}", file.display());
        }
        ProjectCommand::AddTask {
            file,
            name,
            source,
            target,
            task_type,
            include,
            exclude,
            source_column,
            target_schema,
        } => add_task(
            file,
            name,
            (source, target),
            task_type,
            (include, exclude),
            (source_column, target_schema),
        )?,
    }
    Ok(())
}

/// `project add-task`: a task between two of the project's endpoints.
fn add_task(
    file: PathBuf,
    name: String,
    (source, target): (String, String),
    task_type: TaskTypeArg,
    (include, exclude): (Vec<String>, Vec<String>),
    (source_column, target_schema): (Option<String>, Option<String>),
) -> Result<()> {
    use crate::tasks::mappings::{SelectionAction, TableMappings};
    let mut p = Project::load(&file)?;
    let refuse = |message: String| Error::File {
        path: file.clone(),
        message,
    };
    if p.tasks.iter().any(|t| t.name == name) {
        return Err(refuse(format!("a task named '{name}' already exists")));
    }
    for e in [&source, &target] {
        if p.endpoint(e).is_none() {
            return Err(refuse(format!("no endpoint named '{e}'")));
        }
    }
    let mut mappings = TableMappings::all();
    if !include.is_empty() {
        mappings.selection = include
            .iter()
            .map(|i| selection(i, SelectionAction::Include))
            .collect();
    }
    mappings.selection.extend(
        exclude
            .iter()
            .map(|x| selection(x, SelectionAction::Exclude)),
    );
    use crate::tasks::mappings::{Target, TransformAction, Transformation};
    if let Some(schema) = target_schema {
        mappings.transformations.push(Transformation {
            target: Target::Schema,
            schema: "%".into(),
            table: "%".into(),
            column: "%".into(),
            action: TransformAction::Rename(schema),
        });
    }
    if let Some(sc) = source_column {
        let Some((column, value)) = sc.split_once('=') else {
            return Err(refuse(format!(
                "--source-column {sc}: give COLUMN=VALUE, e.g. shard=eu"
            )));
        };
        crate::tasks::mappings::check_source_value(value)
            .map_err(|e| refuse(format!("--source-column {sc}: {e}")))?;
        mappings.transformations.push(Transformation {
            target: Target::Column,
            schema: "%".into(),
            table: "%".into(),
            column: column.trim().to_string(),
            action: TransformAction::SourceColumn {
                value: value.to_string(),
            },
        });
    }
    p.tasks.push(crate::tasks::Task {
        id: String::new(),
        name: name.clone(),
        source,
        target,
        mappings,
        settings: Default::default(),
        task_type: task_type.into(),
        stop_at: None,
    });
    p.settle_ids();
    p.save(&file)?;
    println!("added task '{name}' to {}", file.display());
    Ok(())
}
