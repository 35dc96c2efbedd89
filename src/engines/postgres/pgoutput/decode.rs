//! pgoutput decoded: the binary messages a slot's changes come in (relations, begin, commit,
//! insert, update, delete, truncate) into the task's changes, and PostgreSQL's text values into the
//! canonical form the full load writes.

use super::*;

/// A relation as pgoutput describes it: for each of its columns, the index in the task's
/// [`TableMeta`] (None: not captured).
pub(super) struct Relation {
    label: Option<String>,
    kinds: Vec<Option<(usize, Kind)>>,
    width: usize,
}

pub(super) enum Msg {
    /// A transaction starts; its commit record is at `final_lsn`.
    Begin {
        final_lsn: u64,
    },
    /// A captured table's columns differ from the task's: (table, reason).
    Changed(String, String),
    /// A captured table (key of the task's tables) has every column the task knows, in order,
    /// and more after them: `columns` in all.
    Grown {
        key: String,
        columns: usize,
    },
    Change(Change),
    Truncate(Vec<String>),
    Commit {
        end: u64,
        ms: i64,
    },
    Other,
}

pub(super) struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or("a pgoutput message ends early")?;
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> std::result::Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> std::result::Result<u16, String> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> std::result::Result<u64, String> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_be_bytes(a))
    }
    fn cstr(&mut self) -> std::result::Result<String, String> {
        let rest = &self.b[self.at..];
        let end = rest
            .iter()
            .position(|&c| c == 0)
            .ok_or("a pgoutput name is not terminated")?;
        let s = String::from_utf8_lossy(&rest[..end]).to_string();
        self.at += end + 1;
        Ok(s)
    }
}

/// Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch).
pub(super) const PG_EPOCH_US: i64 = 946_684_800_000_000;

pub(super) fn decode(
    data: &[u8],
    rels: &mut HashMap<u32, Relation>,
    tables: &HashMap<String, TableMeta>,
    resent: bool,
) -> std::result::Result<Msg, String> {
    let mut r = Reader { b: data, at: 0 };
    let tag = r.u8()?;
    Ok(match tag {
        b'B' => Msg::Begin {
            final_lsn: r.u64()?,
        },
        b'C' => {
            let _flags = r.u8()?;
            let _commit = r.u64()?;
            let end = r.u64()?;
            let ts = r.u64()? as i64;
            Msg::Commit {
                end,
                ms: (ts + PG_EPOCH_US) / 1_000,
            }
        }
        b'R' => {
            let id = r.u32()?;
            let ns = r.cstr()?;
            let name = r.cstr()?;
            let _identity = r.u8()?;
            let n = r.u16()? as usize;
            let key = format!("{ns}.{name}").to_lowercase();
            let meta = tables.get(&key);
            let mut kinds = Vec::with_capacity(n);
            for _ in 0..n {
                let _flags = r.u8()?;
                let col = r.cstr()?;
                let _oid = r.u32()?;
                let _typmod = r.u32()?;
                kinds.push(meta.and_then(|m| {
                    m.columns
                        .iter()
                        .position(|c| c.0 == col)
                        .map(|i| (i, m.columns[i].1))
                }));
            }
            // Every column the task reads must be there, and nothing else: a column dropped on
            // the source stops the table (its values would be made NULL); columns added after
            // the known ones are read from then on (see [`Msg::Grown`]).
            let sent: Vec<usize> = kinds.iter().flatten().map(|k| k.0).collect();
            let extra = kinds.iter().filter(|k| k.is_none()).count();
            let appended = extra > 0
                && kinds
                    .iter()
                    .position(Option::is_none)
                    .is_some_and(|first| kinds[first..].iter().all(Option::is_none));
            let mismatch = meta.and_then(|m| {
                let missing: Vec<&str> = (0..m.columns.len())
                    .filter(|i| !m.generated[*i] && !sent.contains(i))
                    .map(|i| m.columns[i].0.as_str())
                    .collect();
                (extra > 0 || !missing.is_empty()).then(|| {
                    format!(
                        "its columns changed on the source ({extra} new, {} gone: {}): reload the table",
                        missing.len(),
                        missing.join(", ")
                    )
                })
            });
            let label = meta.map(|m| m.label.clone());
            rels.insert(
                id,
                Relation {
                    label: if mismatch.is_some() {
                        None
                    } else {
                        label.clone()
                    },
                    kinds,
                    width: meta.map(|m| m.columns.len()).unwrap_or(0),
                },
            );
            let all_known = meta
                .is_some_and(|m| (0..m.columns.len()).all(|i| m.generated[i] || sent.contains(&i)));
            match (mismatch, label) {
                // Already sent and not applied again: the relation as it was then is no news
                // (pgoutput describes a relation anew before its next change once it changes).
                (Some(_), _) if resent => Msg::Other,
                (Some(_), Some(_)) if appended && all_known => Msg::Grown { key, columns: n },
                (Some(why), Some(l)) => Msg::Changed(l, why),
                _ => Msg::Other,
            }
        }
        b'I' | b'U' | b'D' => {
            let id = r.u32()?;
            let rel = rels
                .get(&id)
                .ok_or_else(|| format!("a change of relation {id} before its description"))?;
            let Some(label) = rel.label.clone() else {
                return Ok(Msg::Other);
            };
            let mut before = None;
            let mut after = None;
            let mut unchanged = vec![];
            // An old row of every column (REPLICA IDENTITY FULL), and which of them it left out.
            let mut full_before: Option<Vec<usize>> = None;
            loop {
                if r.at >= data.len() {
                    break;
                }
                match r.u8()? {
                    k @ (b'K' | b'O') => {
                        let (row, u) = tuple(&mut r, rel)?;
                        before = Some(row);
                        if k == b'O' {
                            full_before = Some(u);
                        }
                    }
                    b'N' => {
                        let (row, u) = tuple(&mut r, rel)?;
                        after = Some(row);
                        unchanged = u;
                    }
                    o => return Err(format!("unexpected tuple tag {o} in a pgoutput change")),
                }
            }
            let op = match tag {
                b'I' => Op::Insert,
                b'U' => Op::Update,
                _ => Op::Delete,
            };
            // Unchanged TOAST values of the new row are in a full old row.
            if let (Some(missing), Some(b), Some(a)) = (&full_before, &before, &mut after) {
                unchanged.retain(|&i| {
                    if missing.contains(&i) {
                        return true;
                    }
                    a[i] = b[i].clone();
                    false
                });
            }
            let before_complete = full_before.as_ref().is_some_and(Vec::is_empty);
            // An update that kept its key sends no old row: the key is in the new one.
            if op == Op::Update && before.is_none() {
                before = after.clone();
            }
            Msg::Change(Change {
                table: label,
                op,
                before,
                after,
                unchanged,
                before_complete,
                computed: vec![],
                tolerant: false,
            })
        }
        b'T' => {
            let n = r.u32()? as usize;
            let _options = r.u8()?;
            let mut names = vec![];
            for _ in 0..n {
                let id = r.u32()?;
                if let Some(l) = rels.get(&id).and_then(|x| x.label.clone()) {
                    names.push(l);
                }
            }
            Msg::Truncate(names)
        }
        _ => Msg::Other,
    })
}

/// A tuple's values in the task's column order, and the columns left out as unchanged TOAST.
pub(super) fn tuple(
    r: &mut Reader,
    rel: &Relation,
) -> std::result::Result<(Vec<Option<String>>, Vec<usize>), String> {
    let n = r.u16()? as usize;
    let mut row = vec![None; rel.width];
    let mut unchanged = vec![];
    for i in 0..n {
        let tag = r.u8()?;
        let slot = rel.kinds.get(i).copied().flatten();
        match tag {
            b'n' => {}
            b'u' => {
                if let Some((at, _)) = slot {
                    unchanged.push(at);
                }
            }
            b't' => {
                let len = r.u32()? as usize;
                let raw = r.take(len)?;
                if let Some((at, kind)) = slot {
                    let text = std::str::from_utf8(raw).map_err(|_| {
                        "a value that is not UTF-8 (the source database must be UTF8)".to_string()
                    })?;
                    row[at] = Some(canonical(text, kind));
                }
            }
            o => return Err(format!("unexpected column tag {o} in a pgoutput tuple")),
        }
    }
    Ok((row, unchanged))
}

/// PostgreSQL's text output of a value as the full load reads it.
pub fn canonical(v: &str, kind: Kind) -> String {
    match kind {
        Kind::Bool => match v {
            "t" => "1".into(),
            "f" => "0".into(),
            o => o.into(),
        },
        Kind::Binary => v.strip_prefix("\\x").unwrap_or(v).to_string(),
        Kind::Char => crate::engines::values::trim_padding(v).to_string(),
        Kind::Timestamp | Kind::TimestampTz => {
            // A BC year's era comes last, after the zone.
            let (body, era) = crate::engines::values::split_era(v);
            let body = if kind == Kind::TimestampTz {
                body.strip_suffix("+00").unwrap_or(body)
            } else {
                body
            };
            let mut s = crate::engines::values::six_digit_fraction(body).into_owned();
            if s.len() == 19 {
                s.push_str(".000000");
            }
            s.push_str(era);
            s
        }
        _ => v.to_string(),
    }
}
