//! The crate's layers, checked on its source: a module may use modules of its own layer or
//! below, never above, and modules of one layer do not use each other both ways. Quoting is
//! done by its owners only (`src/sqltext.rs`: identifiers and string literals).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer, lowest first. A new module must be placed.
const LAYERS: &[(&str, u8)] = &[
    // Foundations: errors, units of measure, logging set-up.
    ("error", 0),
    ("units", 0),
    ("logging", 0),
    // Endpoints and connections.
    ("endpoints", 1),
    // The neutral schema model and SQL text utilities (the owner of quoting).
    ("model", 2),
    ("sqltext", 2),
    // Engines (a folder each) and DDL scripts.
    ("engines", 3),
    ("ddl", 3),
    // Schema conversion and its report.
    ("assessment", 4),
    ("conversion", 4),
    // Data movement: full load, then replication above it.
    ("tasks", 5),
    ("cdc", 6),
    ("lake", 6),
    // The one runner, project files.
    ("runner", 7),
    ("project", 7),
    ("cutover", 7),
    // The background runtime and the demo.
    ("runtime", 8),
    ("demo", 8),
    // Clients.
    ("cli", 9),
    ("gui", 9),
    ("lib", 10),
    ("main", 10),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source's lines without comments (line comments, doc comments, trailing `// ...`).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let t = l.trim_start();
        if t.starts_with("//") {
            return None;
        }
        Some((i + 1, l.split(" // ").next().unwrap_or(l)))
    })
}

/// The top-level modules `line` names through `crate::`.
fn used_modules(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = line;
    while let Some(p) = rest.find("crate::") {
        let after = &rest[p + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // `use crate::{a::x, b}`: each item's first segment.
            let inner = group.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        rest = after;
    }
    out
}

fn sources() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap_or(&p).to_path_buf();
            let top = rel
                .components()
                .next()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .unwrap_or_default();
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (top, rel, text)
        })
        .collect()
}

#[test]
fn no_module_uses_a_layer_above_it_and_no_layer_has_a_cycle() {
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut problems = vec![];
    let mut uses: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (top, rel, text) in sources() {
        let Some(&mine) = layer.get(top.as_str()) else {
            problems.push(format!(
                "src/{}: module {top} is in no layer (add it to LAYERS in tests/it/layers.rs)",
                rel.display()
            ));
            continue;
        };
        for (n, line) in code_lines(&text) {
            for used in used_modules(line) {
                if used == top {
                    continue;
                }
                let Some(&theirs) = layer.get(used.as_str()) else {
                    continue;
                };
                let at = format!("src/{}:{n}", rel.display());
                if theirs > mine {
                    problems.push(format!(
                        "{at}: {top} (layer {mine}) uses {used} (layer {theirs}, above it)"
                    ));
                }
                uses.entry(top.clone())
                    .or_default()
                    .entry(used)
                    .or_insert(at);
            }
        }
    }
    for (a, used) in &uses {
        for (b, at) in used {
            if let Some(back) = uses.get(b).and_then(|u| u.get(a))
                && a < b
            {
                problems.push(format!("{a} and {b} use each other: {at} and {back}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn quotes_are_doubled_only_by_their_owner() {
    // Identifier quotes and string-literal quotes doubled by hand: each is a place where a
    // dialect's rules (backslashes in MySQL, the quote itself) can be forgotten.
    // (Built from pieces, so that this file does not hold what it looks for.)
    let doubled = |q: &str, twice: &str| format!("replace({q}, {twice})");
    let patterns = [
        doubled(r"'\''", r#""''""#),
        doubled(r#""'""#, r#""''""#),
        doubled(r#"'"'"#, r#""\"\"""#),
        doubled("'`'", r#""``""#),
        format!("trim_matches({})", r#"'"'"#),
    ];
    let owners = [Path::new("sqltext.rs")];
    let mut problems = vec![];
    for (_, rel, text) in sources() {
        if owners.contains(&rel.as_path()) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            for p in patterns.iter().filter(|p| line.contains(p.as_str())) {
                problems.push(format!(
                    "src/{}:{n}: {p}: quote with crate::sqltext::quoted_ident / string_literal (or the engine's or dialect's wrapper of them)",
                    rel.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
