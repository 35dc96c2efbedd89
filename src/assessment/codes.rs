//! Every action item code of the assessment, once, with what it is about: the one registry the
//! converter, the verifier, the reports and the app's "Action items by code" read. A code is a
//! variant, so two places cannot give one code two meanings, and a code cannot be misspelt.
//! Each occurrence still carries its own message (which object, which value) and category.

macro_rules! codes {
    ($($code:ident: $title:literal,)*) => {
        /// An action item code (`TB1001`...). The first two digits group them: 10 the script,
        /// 11 tables and columns, 12 SQLite sources, 13 SQL Server and Oracle sources, 14 MySQL
        /// targets, 15 SQLite targets, 16 Parquet targets, 19 verification, 20 code (views, routines, triggers).
        /// The conversion rules' type mappings (`conversion-rules/*.ron`) name theirs too: a
        /// code not listed here is an error where the file is read.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub enum Code {
            $($code,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// As reports write it: `TB1001`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => stringify!($code),)*
                }
            }

            /// What the code is about, whatever the object.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$code => $title,)*
                }
            }
        }
    };
}

codes! {
    TB1001: "An object of the script could not be read",
    TB1002: "A statement of the script was not converted",
    TB1003: "Data statements not converted",
    TB1004: "Data statements converted with a warning",
    TB1100: "A column type with no mapping, kept as text",
    TB1101: "BIGINT UNSIGNED beyond the target's bigint",
    TB1102: "MySQL TIME as a duration",
    TB1103: "A SET column kept as text",
    TB1104: "A spatial column without PostGIS, stored as WKB",
    TB1105: "A zero-date default dropped",
    TB1106: "ON UPDATE of a column emulated by a trigger",
    TB1107: "A column default with no target form dropped",
    TB1108: "A name longer than the target allows, shortened",
    TB1110: "A full-text index not created",
    TB1111: "An index prefix length dropped",
    TB1112: "An identity column widened to an integer type",
    TB1113: "A virtual generated column made stored",
    TB1114: "A generated column's expression to check",
    TB1115: "A spatial index not created",
    TB1116: "A foreign-key column takes the referenced column's type",
    TB1117: "A case-insensitive collation changes",
    TB1120: "A sequence trigger folded into an identity column",
    TB1121: "An index operator class dropped",
    TB1122: "A SQLite virtual table not created",
    TB1123: "Table inheritance flattened",
    TB1124: "An index with IGNORE_DUP_KEY",
    TB1125: "A table constraint the reader does not know, left out",
    TB1201: "A SQLite column without a declared type",
    TB1301: "Fractional seconds beyond microseconds rounded",
    TB1302: "A ROWVERSION column no longer maintained",
    TB1303: "A source type with no equivalent, kept as text",
    TB1401: "NUMBER without a precision on MySQL",
    TB1402: "Time-zone timestamps held as UTC datetimes",
    TB1403: "Arrays stored as JSON",
    TB1404: "time with time zone loses its offset",
    TB1405: "INTERVAL kept as text on MySQL",
    TB1406: "A type with no MySQL equivalent, kept as text",
    TB1407: "An enum type becomes column enums",
    TB1408: "A domain becomes its base type with its checks",
    TB1409: "A composite type with no equivalent",
    TB1410: "A serial column's sequence becomes the column's numbering",
    TB1411: "A sequence on MySQL (MariaDB only)",
    TB1412: "A key column too long to index whole",
    TB1413: "Identity options not kept",
    TB1414: "ON DELETE/UPDATE SET DEFAULT, which InnoDB lacks",
    TB1415: "An expression index not created",
    TB1416: "A partial unique index not created",
    TB1417: "An index method the target lacks",
    TB1418: "SET NULL on a NOT NULL column",
    TB1419: "A second identity column",
    TB1420: "A foreign key to columns the source does not name",
    TB1421: "A varchar too wide for a MySQL row",
    TB1501: "A wide NUMBER stored as text on SQLite",
    TB1502: "BIGINT UNSIGNED beyond SQLite's 64-bit integers",
    TB1503: "An identity column SQLite cannot number",
    TB1504: "A schema becomes a table-name prefix on SQLite",
    TB1601: "MySQL TIME kept as text in Parquet",
    TB1602: "A spatial column written as EWKB in Parquet",
    TB1603: "A numeric without a precision kept as text in Parquet",
    TB1604: "money kept as its formatted text in Parquet",
    TB1605: "A decimal beyond 38 digits as Parquet decimal256",
    TB1900: "Failed when verified on the target engine",
    TB2001: "A view query that could not be parsed",
    TB2002: "Code not converted",
    TB2003: "Trigger bodies not converted for this target",
    TB2004: "An Oracle package",
    TB2005: "A synonym",
    TB2006: "An extension to install on the target",
    TB2007: "A scheduled event",
    TB2011: "A view's results to check",
    TB2012: "A function with no known target equivalent",
    TB2013: "A trigger's behaviour to check",
    TB2014: "A loose GROUP BY",
    TB2015: "A materialized view created as a plain view",
    TB2016: "Routines on SQLite",
    TB2017: "A trigger function carried by its triggers",
    TB2018: "A disabled trigger not created",
    TB2019: "An AFTER trigger updating its own row, made BEFORE",
}

impl TryFrom<String> for Code {
    type Error = String;

    fn try_from(s: String) -> Result<Code, String> {
        parse(&s).ok_or_else(|| {
            format!("unknown action code {s:?} (the codes are listed in src/assessment/codes.rs)")
        })
    }
}

impl From<Code> for String {
    fn from(c: Code) -> String {
        c.as_str().to_string()
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The code written `s` (`TB1001`), for reading reports.
pub fn parse(s: &str) -> Option<Code> {
    Code::ALL.iter().copied().find(|c| c.as_str() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_written_once_and_reads_back() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(parse(c.as_str()), Some(*c));
            assert!(c.as_str().starts_with("TB") && c.as_str().len() == 6, "{c}");
            assert!(!c.title().is_empty());
        }
        assert_eq!(parse("TB0000"), None);
    }

    #[test]
    fn a_rules_file_naming_an_unknown_code_is_refused_with_the_code() {
        let ok: Code = ron::from_str("\"TB1101\"").expect("test input");
        assert_eq!(ok, Code::TB1101);
        let e = ron::from_str::<Code>("\"TB9999\"")
            .expect_err("refused")
            .to_string();
        assert!(e.contains("unknown action code \"TB9999\""), "{e}");
    }
}
