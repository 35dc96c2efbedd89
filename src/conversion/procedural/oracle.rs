//! Oracle procedures and functions: the header (parameters with mode, type and default, the return type), the declarations of the IS/AS section and the body, read for conversion to PL/pgSQL.

use super::*;

/// An Oracle procedure or function: parameters (mode, name, type, default), return type,
/// declarations (the IS/AS section) and the body from BEGIN to its END.
#[derive(Debug, Clone, PartialEq)]
pub struct OracleRoutine {
    pub parameters: Vec<(String, String, String, Option<String>)>,
    pub returns: Option<String>,
    pub declarations: Vec<String>,
    pub body: String,
}

/// Reads `CREATE [OR REPLACE] PROCEDURE|FUNCTION name [(params)] [RETURN type] IS|AS ... BEGIN
/// ... END [name];`.
pub fn oracle_routine(text: &str) -> Result<OracleRoutine, String> {
    let text = strip_comments(text);
    let text = text.trim().trim_end_matches('/').trim();
    let upper = text.to_ascii_uppercase();
    let kw = find_keyword(&upper, "PROCEDURE", 0)
        .map(|p| p + 9)
        .or_else(|| find_keyword(&upper, "FUNCTION", 0).map(|p| p + 8))
        .ok_or("not a procedure or function")?;
    let is = ["IS", "AS"]
        .iter()
        .filter_map(|k| find_keyword(&upper, k, kw))
        .min()
        .ok_or("no IS or AS")?;
    let open = text[kw..is].find('(').map(|p| p + kw);
    let mut parameters = vec![];
    let mut after_params = kw;
    if let Some(open) = open {
        let close = crate::sqltext::matching_paren(text, open).ok_or("unbalanced parameters")?;
        after_params = close + 1;
        for p in split_top_level(&text[open + 1..close]) {
            let up = p.to_ascii_uppercase();
            let (decl, default) =
                match find_top_level(&p, ":=").or_else(|| find_keyword(&up, "DEFAULT", 0)) {
                    Some(d) => {
                        let skip = if p[d..].starts_with(":=") { 2 } else { 7 };
                        (
                            p[..d].trim().to_string(),
                            Some(p[d + skip..].trim().to_string()),
                        )
                    }
                    None => (p.trim().to_string(), None),
                };
            let mut words: Vec<&str> = decl.split_whitespace().collect();
            if words.len() < 2 {
                return Err(format!("unreadable parameter: {p}"));
            }
            let name = crate::sqltext::unquote_ident(words.remove(0));
            let mut mode = "IN".to_string();
            while let Some(w) = words.first().map(|w| w.to_ascii_uppercase()) {
                match w.as_str() {
                    "IN" => {}
                    "OUT" if mode == "IN" && decl.to_ascii_uppercase().contains(" IN OUT ") => {
                        mode = "INOUT".into()
                    }
                    "OUT" => mode = "OUT".into(),
                    "NOCOPY" => {}
                    _ => break,
                }
                words.remove(0);
            }
            if words.is_empty() {
                return Err(format!("parameter {name} has no type"));
            }
            parameters.push((mode, name, words.join(" "), default));
        }
    }
    let header_rest = text[after_params..is].trim();
    let returns = find_keyword(&header_rest.to_ascii_uppercase(), "RETURN", 0).map(|r| {
        header_rest[r + 6..]
            .split_whitespace()
            .take_while(|w| {
                !matches!(
                    w.to_ascii_uppercase().as_str(),
                    "DETERMINISTIC" | "PIPELINED" | "PARALLEL_ENABLE" | "RESULT_CACHE" | "AUTHID"
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    });
    let begin = find_keyword(&upper, "BEGIN", is + 2).ok_or("no BEGIN")?;
    let declarations = statements(&text[is + 2..begin]);
    let end = upper.rfind("END").ok_or("no END")?;
    if end < begin {
        return Err("no END".into());
    }
    Ok(OracleRoutine {
        parameters,
        returns,
        declarations,
        body: format!("{}END", &text[begin..end]),
    })
}

#[cfg(test)]
mod oracle_tests {
    use super::*;

    #[test]
    fn oracle_procedures_read_and_convert() {
        let r = oracle_routine(
            "CREATE OR REPLACE PROCEDURE add_job_history\n  (  p_emp_id          job_history.employee_id%type\n   , p_start_date      job_history.start_date%type\n   , p_note IN OUT VARCHAR2\n   , p_n NUMBER := 0\n   )\nIS\n  v_count NUMBER := 0;\n  CURSOR c IS SELECT id FROM t;\nBEGIN\n  INSERT INTO job_history (employee_id, start_date)\n    VALUES(p_emp_id, p_start_date);\nEND add_job_history;\n/",
        )
        .expect("test input");
        assert_eq!(r.parameters.len(), 4);
        assert_eq!(r.parameters[0].2, "job_history.employee_id%type");
        assert_eq!(r.parameters[2].0, "INOUT");
        assert_eq!(r.parameters[3].3.as_deref(), Some("0"));
        assert_eq!(r.declarations.len(), 2);
        assert!(r.body.starts_with("BEGIN") && r.body.ends_with("END"));
        let names = Names::new(true, &Default::default());
        let rules = RuleSet::shipped(Dialect::Oracle, Dialect::Postgres).expect("test input");
        let b = convert_body(
            "BEGIN\n  FOR r IN (SELECT id FROM t) LOOP\n    v := v + r.id;\n  END LOOP;\n  IF v > 10 THEN\n    RAISE_APPLICATION_ERROR(-20001, 'too many');\n  END IF;\n  DBMS_OUTPUT.PUT_LINE('v=' || v);\n  log_it(v);\nEXCEPTION\n  WHEN NO_DATA_FOUND THEN NULL;\nEND",
            Dialect::Oracle,
            &names,
            "public",
            &rules,
        )
        .expect("test input");
        assert_eq!(b.declare, ["r record;"]);
        assert_eq!(
            b.statements,
            [
                "FOR r IN SELECT id FROM public.t LOOP",
                "v := v + r.id;",
                "END LOOP;",
                "IF v > 10 THEN",
                "RAISE EXCEPTION '%', 'too many' USING HINT = 'ORA-20001';",
                "END IF;",
                "RAISE NOTICE '%', 'v=' || v;",
                "CALL public.log_it(v);",
                "EXCEPTION",
                "WHEN no_data_found THEN",
                "NULL;"
            ]
        );
    }

    #[test]
    fn mysql_loops_and_cursors() {
        let names = Names::new(true, &Default::default());
        let rules = RuleSet::shipped(Dialect::MySql, Dialect::Postgres).expect("test input");
        let b = convert_body(
            "BEGIN\n  DECLARE done INT DEFAULT FALSE;\n  DECLARE v INT;\n  DECLARE cur CURSOR FOR SELECT id FROM t;\n  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = TRUE;\n  OPEN cur;\n  read_loop: LOOP\n    FETCH cur INTO v;\n    IF done THEN LEAVE read_loop; END IF;\n    REPEAT SET v = v - 1; UNTIL v <= 0 END REPEAT;\n  END LOOP;\n  CLOSE cur;\nEND",
            Dialect::MySql,
            &names,
            "s",
            &rules,
        )
        .expect("test input");
        assert_eq!(
            b.declare,
            [
                "done integer := false;",
                "v integer;",
                "cur CURSOR FOR SELECT id FROM s.t;"
            ]
        );
        assert_eq!(
            b.statements,
            [
                "open cur;",
                "<<read_loop>>",
                "LOOP",
                "FETCH cur INTO v;",
                "IF NOT FOUND THEN done := true; END IF;",
                "IF done THEN",
                "EXIT read_loop;",
                "END IF;",
                "LOOP",
                "v := v - 1;",
                "EXIT WHEN v <= 0;",
                "END LOOP;",
                "END LOOP;",
                "close cur;"
            ]
        );
    }
}
