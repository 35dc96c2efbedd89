fn main() {
    let root = std::env::args().nth(1).unwrap();
    let mut files = vec![];
    fn walk(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out)
            } else if p.extension().is_some_and(|x| x == "sql") {
                out.push(p)
            }
        }
    }
    walk(std::path::Path::new(&root), &mut files);
    files.sort();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let d = tugboat::ddl::detect_dialect_for(&f.display().to_string(), &text);
        let t = std::time::Instant::now();
        let p = tugboat::ddl::parse_script(&text, d, &f.display().to_string());
        let c = p.counts();
        let n = p.catalog.counts();
        println!(
            "{:<90} {:?} read {} parsed {} unparsed {} data {} skipped {} client {} | tables {} fks {} views {} routines {} trg {} | {} ms",
            f.display().to_string().replace("/work/shared/corpora/", ""),
            d,
            c.read,
            c.parsed,
            c.unparsed,
            c.data,
            c.skipped,
            c.client_commands,
            n.tables,
            n.foreign_keys,
            n.views,
            n.procedures + n.functions,
            n.triggers,
            t.elapsed().as_millis()
        );
        if std::env::var("SHOW").is_ok() {
            for s in &p.statements {
                if let tugboat::ddl::parse::Outcome::Unparsed { error } = &s.outcome {
                    println!(
                        "   L{} {:?} {:?}: {}",
                        s.line,
                        s.classified.kind,
                        s.classified.name.as_ref().map(|n| n.to_string()),
                        error.chars().take(150).collect::<String>()
                    );
                }
            }
        }
    }
}
