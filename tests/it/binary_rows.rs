//! The promise `--validate rows` rests on for PostgreSQL targets loaded in COPY's binary
//! format: each row Tugboat encodes is, byte for byte, what PostgreSQL gives back of the row it
//! stored (`RowFormat::stored_tuples`), so the rows as written are hashed as encoded and the
//! target's are read back as binary tuples. Checked on a real server, value by value, for every
//! type encoded in binary and the ways PostgreSQL changes a value as it stores it (numeric
//! scale, character(n) padding, domains' modifiers); and the values it changes otherwise
//! (rounding, a padded value that ended in a space) come back different, which is what sends a
//! segment to the row-by-row comparison.

use tugboat::engines::postgres::copy_binary::{self, BinType};
use tugboat::engines::postgres::copy_tuples;
use tugboat::engines::values::Kind;

use crate::support;
use crate::support::Outcome;

/// The table's columns: name, type, the kind of values the load sends.
const COLUMNS: &[(&str, &str, Kind)] = &[
    ("id", "int4 PRIMARY KEY", Kind::Integer),
    ("i2", "int2", Kind::Integer),
    ("i8", "int8", Kind::Integer),
    ("n3", "numeric(12,3)", Kind::Decimal),
    ("n", "numeric", Kind::Decimal),
    ("nneg", "numeric(5,-2)", Kind::Decimal),
    ("d", "date", Kind::Date),
    ("t", "text", Kind::Text),
    ("vc", "varchar(10)", Kind::Text),
    ("c6", "char(6)", Kind::Char),
    ("bp", "bpchar", Kind::Char),
    ("j", "json", Kind::Json),
    ("b", "bool", Kind::Bool),
    ("f4", "float4", Kind::Float),
    ("f8", "float8", Kind::Float),
    ("by", "bytea", Kind::Binary),
    ("e", "mood", Kind::Text),
    ("m2", "money2", Kind::Decimal),
    ("c4", "code4", Kind::Char),
    ("ts", "timestamp", Kind::Timestamp),
    ("tz", "timestamptz", Kind::TimestampTz),
    ("ts3", "timestamp(3)", Kind::Timestamp),
    ("u", "uuid", Kind::Text),
];

/// Values of each column (by name) that PostgreSQL stores as encoded.
const ALIKE: &[(&str, &[&str])] = &[
    ("i2", &["-32768", "32767", "0"]),
    ("i8", &["-9223372036854775808", "9223372036854775807", "-1"]),
    (
        "n3",
        &[
            "12.5",
            "0",
            "-0.5",
            "1e3",
            "12.500",
            "-123456789.123",
            "0.000",
            "1.20000",
            "-0",
            "99.9e-2",
        ],
    ),
    (
        "n",
        &[
            "12.50",
            "NaN",
            "-0",
            "1.5e-3",
            "Infinity",
            "-Infinity",
            "10000",
            "0.0001",
        ],
    ),
    ("nneg", &["12300", "0", "-9900"]),
    (
        "d",
        &["2000-01-01", "0001-12-31 BC", "infinity", "2024-02-29"],
    ),
    ("t", &["", "tab\there", "ünï ", "trailing  "]),
    ("vc", &["abc", "", "ten chars!"]),
    ("c6", &["ab", "", "ünï", "abcdef", "ü"]),
    ("bp", &["x y ", "z"]),
    ("j", &["{\"b\": 1,  \"a\": [1,2]}", "null"]),
    ("b", &["1", "0", "true"]),
    (
        "f4",
        &["0.1", "-0", "NaN", "Infinity", "3.4028235e38", "1e-45"],
    ),
    ("f8", &["1e-300", "-0", "NaN", "-Infinity", "0.1"]),
    ("by", &["00ff5c", ""]),
    ("e", &["happy", "sad"]),
    ("m2", &["5", "5.1", "-0.01"]),
    ("c4", &["ab", "abcd"]),
    (
        "ts",
        &[
            "2024-02-29 23:59:59.999999",
            "2000-01-01 00:00:00",
            "1970-01-01 00:00:00.5",
            "infinity",
            "-infinity",
            "0044-03-15 12:00:00 BC",
            "9999-12-31 23:59:59",
            "1999-12-31 24:00:00",
        ],
    ),
    (
        "tz",
        &[
            "2024-01-02 03:04:05+00",
            "1969-07-20 20:17:40.000001",
            "0001-01-01 00:00:00+00 BC",
        ],
    ),
    ("ts3", &["2024-01-01 00:00:00.123", "2024-01-01 00:00:00"]),
    (
        "u",
        &[
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}",
            "00000000000000000000000000000000",
        ],
    ),
];

/// Values PostgreSQL stores otherwise than encoded: rounded to the column's scale, padded
/// after a trailing space.
const CHANGED: &[(&str, &str)] = &[
    ("n3", "1.23456"),
    ("m2", "0.125"),
    ("c6", "ab "),
    ("c4", "a "),
    ("ts3", "2024-01-01 00:00:00.12345"),
];

#[tokio::test]
async fn rows_encoded_in_binary_come_back_from_postgresql_byte_for_byte() -> Outcome {
    let url = support::pg_database("tug_binary_rows").await;
    let pool = sqlx::PgPool::connect(&url).await?;
    let cols: Vec<String> = COLUMNS.iter().map(|(n, t, _)| format!("{n} {t}")).collect();
    for sql in [
        "CREATE TYPE mood AS ENUM ('happy', 'sad')".to_string(),
        "CREATE DOMAIN money2 AS numeric(8,2)".to_string(),
        "CREATE DOMAIN code4 AS char(4)".to_string(),
        format!("CREATE TABLE r ({})", cols.join(", ")),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await?;
    }
    let types = binary_types(&pool).await?;

    // One row per value (the other columns NULL): the alike ones, then the changed ones.
    let mut rows: Vec<Vec<Option<&str>>> = vec![];
    for (name, values) in ALIKE {
        for v in *values {
            rows.push(row_with(name, v));
        }
    }
    let alike = rows.len();
    for (name, v) in CHANGED {
        rows.push(row_with(name, v));
    }
    let ids: Vec<String> = (0..rows.len()).map(|i| i.to_string()).collect();
    let mut sent = vec![];
    let mut data = copy_binary::HEADER.to_vec();
    for (r, row) in rows.iter_mut().enumerate() {
        row[0] = Some(&ids[r]);
        let start = data.len();
        copy_binary::push_row_head(&mut data, COLUMNS.len());
        for (i, v) in row.iter().enumerate() {
            match v {
                None => copy_binary::push_null(&mut data),
                Some(v) => copy_binary::push_value(&mut data, types[i], v)
                    .map_err(|e| format!("{} {v:?}: {e}", COLUMNS[i].0))?,
            }
        }
        sent.push(data[start..].to_vec());
    }
    data.extend_from_slice(copy_binary::TRAILER);
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
    use sqlx::postgres::PgPoolCopyExt;
    let mut copy = pool
        .copy_in_raw(&format!(
            "COPY r ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))
        .await?;
    copy.send(data).await?;
    copy.finish().await?;

    let stored = read_back(&pool, &names).await?;
    assert_eq!(stored.len(), rows.len());
    for (r, (s, back)) in sent.iter().zip(&stored).enumerate() {
        let what = row_label(&rows[r]);
        if r < alike {
            assert_eq!(s, back, "{what}: stored otherwise than encoded");
        } else {
            assert_ne!(s, back, "{what}: PostgreSQL was to change it");
        }
    }
    // What the rounded ones became, as PostgreSQL spells them.
    let spelled: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT n3::text, m2::text FROM r WHERE id IN ({alike}, {}) ORDER BY id",
            alike + 1
        )))
        .fetch_all(&pool)
        .await?;
    assert_eq!(
        spelled,
        [(Some("1.235".into()), None), (None, Some("0.13".into()))]
    );
    pool.close().await;
    Ok(())
}

/// The row whose column `name` is `v`, every other column NULL (the id set later).
fn row_with<'a>(name: &str, v: &'a str) -> Vec<Option<&'a str>> {
    COLUMNS
        .iter()
        .map(|(n, _, _)| (*n == name).then_some(v))
        .collect()
}

/// A row's non-NULL values, to name it in a failure.
fn row_label(row: &[Option<&str>]) -> String {
    COLUMNS
        .iter()
        .zip(row)
        .filter_map(|((n, _, _), v)| v.map(|v| format!("{n} = {v:?}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each column's binary encoding, from the table's types as the load's writer finds them.
async fn binary_types(pool: &sqlx::PgPool) -> Result<Vec<BinType>, Box<dyn std::error::Error>> {
    let found = copy_binary::column_types(pool, "r").await?;
    COLUMNS
        .iter()
        .zip(&found)
        .map(|((name, _, kind), c)| {
            BinType::for_column((c.oid, c.typmod), c.is_enum, (*kind, *kind), true)
                .ok_or_else(|| format!("{name}: no binary encoding").into())
        })
        .collect()
}

/// The table's rows in id order, as PostgreSQL's binary COPY gives them back.
async fn read_back(
    pool: &sqlx::PgPool,
    names: &[&str],
) -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    use futures_util::StreamExt;
    use sqlx::postgres::PgPoolCopyExt;
    let sql = format!(
        "COPY (SELECT {} FROM r ORDER BY id) TO STDOUT (FORMAT binary)",
        names.join(", ")
    );
    let mut out = pool.copy_out_raw(&sql).await?;
    let mut splitter = copy_tuples::Splitter::new(names.len());
    let mut whole = vec![];
    while let Some(chunk) = out.next().await {
        splitter.push(&chunk?, &mut whole)?;
    }
    splitter.finish()?;
    Ok(copy_tuples::tuples(&whole, names.len())
        .map(<[u8]>::to_vec)
        .collect())
}

/// MariaDB keeps JSON as written; PostgreSQL's jsonb orders its keys, decodes its escapes and
/// writes its numbers as numerics. Validated as binary rows, a jsonb column is compared in
/// JSON's normal form on both sides: the same documents are equal (every key range read back
/// alike; before, `1e3` against `1000` was a mismatched record).
#[tokio::test]
async fn jsonb_documents_validate_as_values_whatever_their_spelling() -> Outcome {
    use crate::tasks::{one, open, recording, run_ok, task};
    use tugboat::endpoints::Role;
    let src_url = support::mysql_database("tug_binary_json").await;
    let src = open(&src_url, Role::Source).await;
    src.execute(
        r#"CREATE TABLE docs (id INT PRIMARY KEY, doc JSON, at DATETIME);
           INSERT INTO docs VALUES
             (1, '{"b": 1, "a": [1, 2.50, "x"]}', '2024-01-01 00:00:00'),
             (2, '{"z":{"y":null,"x":true}}', NULL),
             (3, NULL, '1999-12-31 23:59:59'),
             (4, '[1e3, 0.1, "\\u00e9"]', NULL),
             (5, '{"a": 1.0E2}', NULL);"#,
    )
    .await?;
    let tgt_url = support::pg_database("tug_binary_json").await;
    let tgt = open(&tgt_url, Role::Target).await;
    let (_, sink) = recording();
    let s = run_ok(&task("binary_json"), &src, &tgt, sink).await;
    assert_eq!(support::hashed_alike(&s), 1, "{s:#?}");
    assert_eq!(
        one(
            &tgt,
            "SELECT doc::text FROM tug_binary_json.docs WHERE id = 4"
        )
        .await,
        Some(r#"[1000, 0.1, "é"]"#.into())
    );
    src.close().await;
    tgt.close().await;
    Ok(())
}
