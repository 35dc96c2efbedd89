//! Project files: a RON document holding a migration project's endpoints (never passwords) and,
//! as Tugboat grows, its tasks, table mappings and conversion settings.
//!
//! The format is versioned (`format_version`). Loading never writes anything; a malformed file or
//! one written by a newer Tugboat gives an error with the file, line and column. Saving writes a
//! temporary file beside the target and renames it, so a crash never leaves half a project.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::endpoints::Endpoint;
use crate::error::{Error, Result};

/// The format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    pub format_version: u32,
    pub name: String,
    pub endpoints: Vec<Endpoint>,
    /// Free text for the team.
    pub notes: String,
    /// Schema-conversion settings and the user's edits of converted SQL.
    pub conversion: ConversionSettings,
    /// Migration tasks.
    pub tasks: Vec<crate::tasks::Task>,
}

/// Schema-conversion settings kept with the project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversionSettings {
    /// Folder of conversion-rule override files.
    pub rules_dir: Option<PathBuf>,
    /// Converted SQL edited by hand; it replaces the converter's output for that object on every
    /// later conversion.
    pub edits: Vec<ObjectEdit>,
}

pub use crate::assessment::ObjectEdit;

impl Default for Project {
    fn default() -> Self {
        Project {
            format_version: FORMAT_VERSION,
            name: "Untitled project".into(),
            endpoints: vec![],
            notes: String::new(),
            conversion: ConversionSettings::default(),
            tasks: vec![],
        }
    }
}

#[derive(Deserialize)]
#[serde(rename = "Project")]
struct Header {
    /// 0 when the field is missing.
    #[serde(default)]
    format_version: u32,
}

impl Project {
    /// Reads and checks a project file.
    pub fn load(path: &Path) -> Result<Project> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            path: path.to_path_buf(),
            message: format!("cannot read the project: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Parses project text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Project> {
        let at = |line: usize, column: usize, message: String| Error::FileFormat {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        if let Ok(header) = ron::from_str::<Header>(text) {
            match header.format_version {
                v if v > FORMAT_VERSION => {
                    let (line, column) = position_of(text, "format_version").unwrap_or((1, 1));
                    return Err(at(
                        line,
                        column,
                        format!(
                            "this project was written by a newer Tugboat (format {v}); this build reads formats up to {FORMAT_VERSION}: upgrade Tugboat to open it"
                        ),
                    ));
                }
                0 => {
                    return Err(at(
                        1,
                        1,
                        "not a Tugboat project: no format_version field".into(),
                    ));
                }
                _ => {}
            }
        }
        let mut project: Project = ron::from_str(text).map_err(|e| {
            at(
                e.span.start.line,
                e.span.start.col,
                format!("malformed project file: {}", e.code),
            )
        })?;
        let mut seen = std::collections::HashSet::new();
        for ep in &project.endpoints {
            if ep.name.trim().is_empty() {
                let (line, column) = position_of(text, "endpoints").unwrap_or((1, 1));
                return Err(at(line, column, "an endpoint has no name".into()));
            }
            if !seen.insert(ep.name.as_str()) {
                let (line, column) =
                    position_of(text, &format!("\"{}\"", ep.name)).unwrap_or((1, 1));
                return Err(at(
                    line,
                    column,
                    format!("two endpoints are named '{}'", ep.name),
                ));
            }
        }
        project.settle_ids();
        Ok(project)
    }

    /// Gives every endpoint and task without one (a project written before ids, a new or
    /// copied endpoint) an id no other of its kind has. Returns whether any was given.
    pub fn ensure_ids(&mut self) -> bool {
        let e = give_ids(self.endpoints.iter_mut().map(|e| &mut e.id), "e");
        let t = give_ids(self.tasks.iter_mut().map(|t| &mut t.id), "t");
        e || t
    }

    /// Gives ids where missing ([`Self::ensure_ids`]) and turns tasks' endpoint names into ids:
    /// what loading does, and what a project built in code needs before use.
    pub fn settle_ids(&mut self) {
        let had_ids: Vec<String> = self
            .endpoints
            .iter()
            .map(|e| e.id.clone())
            .filter(|id| !id.is_empty())
            .collect();
        self.ensure_ids();
        self.link_tasks(&had_ids);
    }

    /// Turns a task's endpoint given by name (a file written by hand or before ids) into the
    /// endpoint's id. `file_ids` are the ids the file itself held: a reference equal to one of
    /// them is an id; any other is looked up by name.
    fn link_tasks(&mut self, file_ids: &[String]) {
        let by_name: std::collections::HashMap<String, String> = self
            .endpoints
            .iter()
            .map(|e| (e.name.clone(), e.id.clone()))
            .collect();
        for t in &mut self.tasks {
            for r in [&mut t.source, &mut t.target] {
                if !file_ids.contains(r)
                    && let Some(id) = by_name.get(r.as_str())
                {
                    *r = id.clone();
                }
            }
        }
    }

    /// The endpoint a task refers to: by id, else by name.
    pub fn task_endpoint(&self, reference: &str) -> Option<&Endpoint> {
        self.endpoint_by_id(reference)
            .or_else(|| self.endpoint(reference))
    }

    /// The task with this id.
    pub fn task_by_id(&self, id: &str) -> Option<&crate::tasks::Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// The endpoint with this id.
    pub fn endpoint_by_id(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// The project as RON text.
    pub fn to_ron(&self) -> Result<String> {
        let config = ron::ser::PrettyConfig::default().struct_names(true);
        ron::ser::to_string_pretty(self, config).map_err(|e| Error::File {
            path: PathBuf::from("(project)"),
            message: format!("cannot write the project: {e}"),
        })
    }

    /// Writes the project atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = self.to_ron()?;
        let io = |e: std::io::Error| Error::File {
            path: path.to_path_buf(),
            message: format!("cannot save the project: {e}"),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("ron.tmp");
        std::fs::write(&tmp, text.as_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        tracing::info!(target: "tugboat::project", "saved project '{}' to {}", self.name, path.display());
        Ok(())
    }

    /// Checks what a saved project must hold: every endpoint and task named, names unique
    /// (spaces around a name do not make it another).
    pub fn validate(&self) -> Result<()> {
        for i in 0..self.endpoints.len() {
            if let Some(problem) = self.name_problem(i) {
                return Err(Error::InvalidEndpoint {
                    endpoint: self.endpoints[i].name.clone(),
                    reason: problem,
                });
            }
        }
        for i in 0..self.tasks.len() {
            if let Some(problem) = self.task_name_problem(i) {
                return Err(Error::Invalid {
                    what: format!("task '{}'", self.tasks[i].name),
                    reason: problem,
                });
            }
        }
        Ok(())
    }

    /// What is wrong with endpoint `i`'s name, as the form shows it while typing.
    pub fn name_problem(&self, i: usize) -> Option<String> {
        let names: Vec<&str> = self.endpoints.iter().map(|e| e.name.as_str()).collect();
        name_problem(&names, i, "endpoint")
    }

    /// What is wrong with task `i`'s name, as the form shows it while typing.
    pub fn task_name_problem(&self, i: usize) -> Option<String> {
        let names: Vec<&str> = self.tasks.iter().map(|t| t.name.as_str()).collect();
        name_problem(&names, i, "task")
    }

    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// A name not used by any endpoint yet, based on `base` ("pg", "pg (2)", ...).
    pub fn unique_endpoint_name(&self, base: &str) -> String {
        if self.endpoint(base).is_none() {
            return base.to_string();
        }
        (2..)
            .map(|i| format!("{base} ({i})"))
            .find(|n| self.endpoint(n).is_none())
            .expect("some name is free")
    }
}

/// What is wrong with `names[i]`: empty, or another `what` has it (spaces around a name do not
/// make it another).
fn name_problem(names: &[&str], i: usize, what: &str) -> Option<String> {
    let name = names.get(i)?.trim();
    if name.is_empty() {
        let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "An"
        } else {
            "A"
        };
        return Some(format!("{article} {what} needs a name."));
    }
    names
        .iter()
        .enumerate()
        .any(|(j, n)| j != i && n.trim() == name)
        .then(|| format!("Another {what} is named “{name}”: names must be unique."))
}

/// Keeps each id the first time it is seen; gives the others (empty or repeated) `{prefix}{n}`
/// with the lowest `n` nobody holds. Returns whether any was given.
fn give_ids<'a>(ids: impl Iterator<Item = &'a mut String>, prefix: &str) -> bool {
    let mut ids: Vec<&mut String> = ids.collect();
    let mut taken = std::collections::HashSet::new();
    let mut redo = vec![];
    for (i, id) in ids.iter().enumerate() {
        if id.is_empty() || !taken.insert(id.to_string()) {
            redo.push(i);
        }
    }
    let mut n = 0;
    for &i in &redo {
        let fresh = loop {
            n += 1;
            let candidate = format!("{prefix}{n}");
            if !taken.contains(&candidate) {
                break candidate;
            }
        };
        taken.insert(fresh.clone());
        *ids[i] = fresh;
    }
    !redo.is_empty()
}

/// 1-based line and column of the first occurrence of `needle`.
fn position_of(text: &str, needle: &str) -> Option<(usize, usize)> {
    let offset = text.find(needle)?;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map(|p| p + 1).unwrap_or(0) + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::Engine;

    #[test]
    fn endpoint_ids_are_kept_given_and_unique() {
        let mut p = Project::default();
        let mut a = Endpoint::new(Engine::Postgres);
        a.name = "a".into();
        a.id = "e7".into();
        let mut b = a.clone();
        b.name = "b (a copy that kept the id)".into();
        let mut c = Endpoint::new(Engine::Sqlite);
        c.name = "c".into();
        p.endpoints = vec![a, b, c];
        assert!(p.ensure_ids());
        let ids: Vec<&str> = p.endpoints.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids[0], "e7", "an id is kept");
        assert!(ids[1] != "e7" && !ids[1].is_empty() && ids[2] != ids[1] && !ids[2].is_empty());
        assert!(!p.ensure_ids(), "nothing left to give");
        // Kept through a save and a load, renamed or not.
        p.endpoints[0].name = "renamed".into();
        let again = Project::parse(&p.to_ron().unwrap(), Path::new("p.ron")).unwrap();
        assert_eq!(again.endpoints[0].id, "e7");
        assert_eq!(
            again.endpoint_by_id("e7").map(|e| e.name.as_str()),
            Some("renamed")
        );
    }

    #[test]
    fn tasks_name_endpoints_by_id_and_names_in_a_file_are_read_as_ids() {
        let text = r#"Project(
  format_version: 1,
  name: "x",
  endpoints: [
    Endpoint(name: "old", engine: Sqlite, database: "a.db"),
    Endpoint(name: "new", engine: Sqlite, role: Target, database: "b.db"),
  ],
  tasks: [Task(name: "move", source: "old", target: "new")],
)"#;
        let mut p = Project::parse(text, Path::new("p.ron")).unwrap();
        let (s, t) = (p.tasks[0].source.clone(), p.tasks[0].target.clone());
        assert_eq!((s.as_str(), t.as_str()), ("e1", "e2"));
        assert!(!p.tasks[0].id.is_empty());
        // A rename keeps the link; an endpoint named like another's id does not steal it.
        p.endpoints[0].name = "e2".into();
        let again = Project::parse(&p.to_ron().unwrap(), Path::new("p.ron")).unwrap();
        assert_eq!(
            again.task_endpoint(&again.tasks[0].source).unwrap().name,
            "e2"
        );
        assert_eq!(
            again.task_endpoint(&again.tasks[0].target).unwrap().name,
            "new"
        );
        assert_eq!(again.tasks[0].id, p.tasks[0].id);
    }

    #[test]
    fn names_must_be_there_and_unique_to_save() {
        let mut p = Project::default();
        let mut a = Endpoint::new(Engine::Sqlite);
        a.name = "db".into();
        let mut b = a.clone();
        b.name = " db ".into();
        p.endpoints = vec![a, b];
        assert!(p.name_problem(1).unwrap().contains("names must be unique"));
        assert!(p.validate().is_err());
        p.endpoints[1].name = " ".into();
        assert_eq!(
            p.name_problem(1).as_deref(),
            Some("An endpoint needs a name.")
        );
        assert!(p.validate().is_err());
        p.endpoints[1].name = "other".into();
        assert!(p.validate().is_ok());
    }

    #[test]
    fn round_trips_and_never_holds_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.ron");
        let parsed = Endpoint::parse_url("postgres://alice:TopSecret@db:5432/sales").unwrap();
        let mut ep = parsed.endpoint;
        ep.name = "sales".into();
        let p = Project {
            name: "Move sales".into(),
            endpoints: vec![ep, Endpoint::new(Engine::Sqlite)],
            ..Default::default()
        };
        let mut p = p;
        p.endpoints[1].name = "file".into();
        p.ensure_ids();
        p.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("TopSecret"), "{text}");
        assert_eq!(Project::load(&path).unwrap(), p);
    }

    #[test]
    fn malformed_file_names_line_and_column() {
        let text = "Project(\n  format_version: 1,\n  name: \"x\",\n  endpoints: [ oops ],\n)";
        let e = Project::parse(text, Path::new("bad.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.ron:4:"), "{e}");
    }

    #[test]
    fn newer_format_is_refused_clearly() {
        let text = "Project(\n  format_version: 99,\n  name: \"x\",\n)";
        let e = Project::parse(text, Path::new("new.ron"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("new.ron:2:3:") && e.contains("newer Tugboat"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_endpoint_names_are_refused() {
        let mut p = Project::default();
        let mut a = Endpoint::new(Engine::Postgres);
        a.name = "db".into();
        p.endpoints = vec![a.clone(), a];
        let e = Project::parse(&p.to_ron().unwrap(), Path::new("d.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("two endpoints are named 'db'"), "{e}");
    }
}
