//! Digests of a table's rows by key segment: what lets `--validate rows` prove every row equal
//! without a second pass over the source.
//!
//! While a table loads, each row is hashed as it is written (after what the load does to it:
//! LOBs cut, NUL characters removed, the value as the target's type takes it), and the hashes
//! are summed per segment of its first key column (about 10,000 rows each), with the rows'
//! count. After the load the target's rows are read back, hashed the same way and summed per
//! segment: equal sums prove the segment's rows equal; the segments that differ are then
//! compared row by row with the source (`validate`), down to each row's key. Values are
//! compared as `validate::normal` spells them, so every column counts, floats and JSON
//! included, which the checksums computed inside the databases have to read separately.
//!
//! A sum is the wrapping sum of 128-bit XXH3 hashes of each row: order-free, and two rows
//! added or taken away never cancel out.

use std::collections::BTreeMap;

use super::Prepared;
use super::validate::normal;
use crate::engines::rows::Rows;
use crate::engines::values::{self, Kind};

/// How rows are cut into segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segments {
    /// By the integer value of one column (of the table's columns as loaded), `width` values
    /// from `lo` each: a segment is a key range both sides can read.
    Integer {
        column: usize,
        lo: i128,
        width: i128,
    },
    /// By a hash of the primary key's values as compared (of the whole row when the table has
    /// no primary key), into `buckets`: for keys whose order may differ between engines (text
    /// under another collation) or tables without a key. Both sides place a row by its own
    /// values, so no order is needed; a segment is found again by reading the table.
    Hashed { buckets: u32 },
}

impl Segments {
    /// The segment of integer key value `key` (a value that is no integer: a segment of its
    /// own).
    fn of_integer(lo: i128, width: i128, key: Option<&str>) -> i128 {
        key.and_then(|v| v.parse::<i128>().ok())
            .map_or(i128::MIN, |k| (k - lo).div_euclid(width.max(1)))
    }

    /// Segments of about `SEGMENT_ROWS` rows by hash, for a table of about `rows` rows (none
    /// known: 1,024), at least 64 and at most 65,536.
    pub fn hashed(rows: Option<i64>) -> Segments {
        let per = super::validate::SEGMENT_ROWS.max(1) as u64;
        let buckets = match rows {
            Some(n) if n > 0 => (n as u64).div_ceil(per).clamp(64, 65_536),
            _ => 1_024,
        };
        Segments::Hashed {
            buckets: buckets as u32,
        }
    }

    /// The key values of integer segment `seg`: from, to (excluded); None for hashed ones.
    pub fn bounds(&self, seg: i128) -> Option<(i128, i128)> {
        match *self {
            Segments::Integer { lo, width, .. } => {
                let from = lo + seg * width.max(1);
                Some((from, from + width.max(1)))
            }
            Segments::Hashed { .. } => None,
        }
    }
}

/// The rows of one segment: how many, and the sum of their hashes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum {
    pub rows: u64,
    pub hash: u128,
}

/// A table's (or a key range's) rows summed per key segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    /// How the rows are cut into segments; None: one segment for the whole table.
    pub key: Option<Segments>,
    pub segments: BTreeMap<i128, Sum>,
    /// The rows were hashed as binary COPY tuples (a PostgreSQL source's, `tasks::raw`, or as
    /// the writer encoded them, [`Hasher::hash_tuples`]): the target's are read back the same
    /// way.
    pub as_is: bool,
    /// Of tuples: the columns hashed as their JSON's normal form ([`normal`]), not as their
    /// bytes (jsonb, which PostgreSQL gives back in a form of its own).
    pub json: Vec<usize>,
}

impl Digest {
    /// Adds `other`'s rows (another key range of the same table, hashed with the same width).
    pub fn absorb(&mut self, other: &Digest) {
        self.key = other.key;
        self.as_is = other.as_is;
        self.json.clone_from(&other.json);
        for (seg, s) in &other.segments {
            let e = self.segments.entry(*seg).or_default();
            e.rows += s.rows;
            e.hash = e.hash.wrapping_add(s.hash);
        }
    }

    /// Every row summed.
    pub fn rows(&self) -> u64 {
        self.segments.values().map(|s| s.rows).sum()
    }

    /// The segments whose rows differ between `self` and `other`, in key order.
    pub fn differing(&self, other: &Digest) -> Vec<i128> {
        let all: std::collections::BTreeSet<i128> = self
            .segments
            .keys()
            .chain(other.segments.keys())
            .copied()
            .collect();
        all.into_iter()
            .filter(|s| self.segments.get(s) != other.segments.get(s))
            .collect()
    }

    /// How many segments either side has.
    pub fn segment_count(&self, other: &Digest) -> u64 {
        let mut n = self.segments.len() as u64;
        n += other
            .segments
            .keys()
            .filter(|k| !self.segments.contains_key(k))
            .count() as u64;
        n
    }
}

/// Which side a [`Hasher`] hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Rows as read from the source, hashed as the load writes them.
    Written,
    /// Rows read back from the target.
    Stored,
}

/// What a written column's value goes through before it is hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Nothing: compared as read.
    AsIs,
    /// A PostgreSQL char(n) read back: its padding trimmed ([`values::as_read`]), as the
    /// value it holds (not in [`normal`], which the written side goes through too: a value's
    /// trailing spaces that a char(n) column lost must show).
    Padded,
    /// The target type's form only ([`values::fix_str`]).
    Typed,
    /// LOB cut or NUL characters removed too ([`Prepared::as_written`]).
    Fixed,
}

/// Hashes rows of one table into a [`Digest`].
pub struct Hasher<'a> {
    p: &'a Prepared,
    ways: Vec<Way>,
    buf: Vec<u8>,
    /// The primary key's columns (empty: the whole row is the key) and the bytes of the
    /// row's key as compared, kept only where rows are matched by those bytes (hashed
    /// segments, keys not made of integers; not on the hot path of integer keys).
    key_columns: Vec<bool>,
    keep_key: bool,
    key_buf: Vec<u8>,
    /// The segment of the rows last hashed and their sum so far (rows mostly come in key
    /// order: the map is touched once per segment, not once per row).
    current: Option<(i128, Sum)>,
    /// Hashed segments' sums, by bucket (rows come in no order of theirs).
    buckets: Vec<Sum>,
    digest: Digest,
    /// Under [`Hasher::hash_tuples`]: the character(n) columns filled from columns of another
    /// kind ([`Hasher::add_encoded`]).
    padded: Vec<usize>,
}

impl<'a> Hasher<'a> {
    /// A hasher of `p`'s rows from `side`, in segments `key` (None: one segment).
    pub fn new(p: &'a Prepared, side: Side, key: Option<Segments>) -> Hasher<'a> {
        let ways = (0..p.columns.len())
            .map(|i| {
                let from = p.columns[i].2;
                if side == Side::Stored && p.columns[i].3 == Kind::Char {
                    Way::Padded
                } else if side == Side::Stored {
                    Way::AsIs
                } else if (p.lob_limit.is_some() && p.lobs.get(i).copied().unwrap_or(false))
                    || (p.nul.is_some() && p.holds_text(i))
                {
                    Way::Fixed
                } else if values::fix_is_identity(from) {
                    Way::AsIs
                } else {
                    Way::Typed
                }
            })
            .collect();
        let buckets = match key {
            Some(Segments::Hashed { buckets }) => vec![Sum::default(); buckets.max(1) as usize],
            _ => vec![],
        };
        Hasher {
            p,
            ways,
            buf: Vec::with_capacity(512),
            key_columns: key_columns(p),
            keep_key: matches!(key, Some(Segments::Hashed { .. }))
                || super::validate::integer_key(p).is_none(),
            key_buf: Vec::with_capacity(64),
            current: None,
            buckets,
            digest: Digest {
                key,
                segments: BTreeMap::new(),
                as_is: false,
                json: vec![],
            },
            padded: vec![],
        }
    }

    /// Adds every row of `rows`.
    pub fn add(&mut self, rows: &Rows) {
        for r in 0..rows.len() {
            let (segment, h) = self.place(rows, r);
            self.sum(segment, h);
        }
    }

    /// Adds a row of hash `h` to `segment`.
    fn sum(&mut self, segment: i128, h: u128) {
        if !self.buckets.is_empty() {
            let s = &mut self.buckets[segment as usize];
            s.rows += 1;
            s.hash = s.hash.wrapping_add(h);
            return;
        }
        match &mut self.current {
            Some((seg, sum)) if *seg == segment => {
                sum.rows += 1;
                sum.hash = sum.hash.wrapping_add(h);
            }
            _ => {
                self.flush();
                self.current = Some((segment, Sum { rows: 1, hash: h }));
            }
        }
    }

    /// Adds every row of `lines`, binary COPY tuples of the table's columns as they are
    /// (`tasks::raw`): each hashed as its bytes, placed by its integer key's value. Only
    /// comparable with tuples hashed the same way: the target's read back as they are. (Tables
    /// hashed otherwise are not passed as tuples; were one, its rows would fall in the segment
    /// that has the whole table compared row by row.)
    pub fn add_tuples(&mut self, lines: &crate::engines::rows::Lines) {
        for t in crate::engines::postgres::copy_tuples::tuples(&lines.bytes, lines.width) {
            self.add_tuple(t);
        }
    }

    /// Adds one binary COPY tuple, hashed as its bytes (see [`Hasher::add_tuples`]).
    pub fn add_tuple(&mut self, t: &[u8]) {
        let (segment, h) = self.place_tuple(t);
        self.sum(segment, h);
    }

    /// Adds row `r` of `rows` as the binary tuple `t` it was encoded into ([`Hasher::add_tuple`]);
    /// but a row with a value that ends in a space for a character(n) column (from a source
    /// column of another kind) is marked: padded there, its trailing spaces are lost, and the
    /// bytes stored may agree where the values do not (the segment is then compared row by
    /// row, which says so).
    pub fn add_encoded(&mut self, t: &[u8], rows: &Rows, r: usize) {
        let (segment, mut h) = self.place_tuple(t);
        if self
            .padded
            .iter()
            .any(|&i| rows.get(r, i).is_some_and(|v| v.ends_with(' ')))
        {
            h ^= 1;
        }
        self.sum(segment, h);
    }

    /// A tuple's segment (by its integer key) and hash (of its bytes, its JSON columns in
    /// their normal form).
    fn place_tuple(&mut self, t: &[u8]) -> (i128, u128) {
        use crate::engines::postgres::copy_tuples;
        let h = if self.digest.json.is_empty() {
            twox_hash::XxHash3_128::oneshot(t)
        } else {
            self.buf.clear();
            for (i, f) in copy_tuples::fields(t).enumerate() {
                let Some(f) = f else {
                    self.buf.push(0);
                    continue;
                };
                let text;
                let f = if self.digest.json.contains(&i) {
                    // (jsonb's binary form: a version byte, then the text.)
                    let body = f.strip_prefix(&[1u8]).unwrap_or(f);
                    text = normal(&String::from_utf8_lossy(body), Kind::Json).into_owned();
                    text.as_bytes()
                } else {
                    f
                };
                push_varint(&mut self.buf, f.len() as u64 + 1);
                self.buf.extend_from_slice(f);
            }
            twox_hash::XxHash3_128::oneshot(&self.buf)
        };
        let segment = match self.digest.key {
            Some(Segments::Integer { column, lo, width }) => copy_tuples::fields(t)
                .nth(column)
                .flatten()
                .and_then(copy_tuples::integer)
                .map_or(i128::MIN, |k| (k - lo).div_euclid(width.max(1))),
            _ => i128::MIN,
        };
        (segment, h)
    }

    /// The column rows are placed by, when it is an integer's.
    pub fn integer_column(&self) -> Option<usize> {
        match self.digest.key {
            Some(Segments::Integer { column, .. }) => Some(column),
            _ => None,
        }
    }

    /// From now on the rows as written are hashed as the binary COPY tuples the target's
    /// writer encodes them into ([`Hasher::add_tuple`]), which are what the target gives back
    /// of them (`RowFormat::stored_tuples`): the target's rows are then read back as tuples.
    pub fn hash_tuples(&mut self, json: Vec<usize>) {
        self.digest.as_is = true;
        self.digest.json = json;
        self.padded = (0..self.p.columns.len())
            .filter(|&i| self.p.columns[i].3 == Kind::Char && self.p.columns[i].2 != Kind::Char)
            .collect();
    }

    /// Whether rows are hashed as tuples.
    pub fn tuples(&self) -> bool {
        self.digest.as_is
    }

    /// Row `r` of `rows`: its segment and its hash, without adding it; its key as compared
    /// is [`Hasher::key`] until the next row.
    pub fn place(&mut self, rows: &Rows, r: usize) -> (i128, u128) {
        self.buf.clear();
        self.key_buf.clear();
        let mut segment = 0i128;
        let whole_row = self.key_columns.is_empty();
        for (i, v) in rows.row(r).enumerate() {
            if let Some(Segments::Integer { column, lo, width }) = self.digest.key
                && column == i
            {
                segment = Segments::of_integer(lo, width, v);
            }
            let start = self.buf.len();
            self.value(i, v);
            if self.keep_key && !whole_row && self.key_columns[i] {
                self.key_buf.extend_from_slice(&self.buf[start..]);
            }
        }
        let h = twox_hash::XxHash3_128::oneshot(&self.buf);
        if let Some(Segments::Hashed { buckets }) = self.digest.key {
            let of_key = if whole_row {
                (h >> 64) as u64
            } else {
                twox_hash::XxHash3_64::oneshot(&self.key_buf)
            };
            segment = (of_key % u64::from(buckets.max(1))) as i128;
        }
        (segment, h)
    }

    /// The key of the row last placed, as compared: its primary key's values (the whole row's
    /// without one), the same bytes on both sides when the values are equal.
    pub fn key(&self) -> &[u8] {
        if self.key_columns.is_empty() {
            &self.buf
        } else {
            &self.key_buf
        }
    }

    /// Adds the current segment's sum to the digest.
    fn flush(&mut self) {
        if let Some((seg, s)) = self.current.take() {
            let e = self.digest.segments.entry(seg).or_default();
            e.rows += s.rows;
            e.hash = e.hash.wrapping_add(s.hash);
        }
    }

    /// Appends value `v` of column `i`, as compared, to the row's bytes: its length plus one
    /// first (LEB128; a NULL is 0), so no two rows' values run into each other.
    fn value(&mut self, i: usize, v: Option<&str>) {
        let to = self.p.columns[i].3;
        let (fixed, owned): (Option<String>, _);
        let v: Option<std::borrow::Cow<'_, str>> = match (self.ways[i], v) {
            (_, None) => None,
            // (Values `normal` leaves as they are.)
            (Way::AsIs, Some(v))
                if matches!(to, Kind::Integer | Kind::Text | Kind::Char | Kind::Date) =>
            {
                Some(std::borrow::Cow::Borrowed(v))
            }
            (Way::Padded, Some(v)) => Some(std::borrow::Cow::Borrowed(values::as_read(v, to))),
            (Way::AsIs, Some(v)) => Some(normal(v, to)),
            (Way::Typed, Some(v)) => {
                owned = typed(v, self.p.columns[i].2, to);
                owned.as_deref().map(|v| normal(v, to))
            }
            (Way::Fixed, Some(v)) => {
                let mut v = Some(v.to_string());
                self.p.as_written(i, &mut v);
                fixed = v;
                owned = fixed
                    .as_deref()
                    .and_then(|v| typed(v, self.p.columns[i].2, to));
                owned.as_deref().map(|v| normal(v, to))
            }
        };
        match v {
            None => self.buf.push(0),
            Some(v) => {
                push_varint(&mut self.buf, v.len() as u64 + 1);
                self.buf.extend_from_slice(v.as_bytes());
            }
        }
    }

    /// The rows hashed so far.
    pub fn finish(mut self) -> Digest {
        self.flush();
        for (b, s) in self.buckets.iter().enumerate() {
            if s.rows > 0 {
                self.digest.segments.insert(b as i128, *s);
            }
        }
        self.digest
    }
}

/// Which of `p`'s columns make its primary key (none: it has no key, or one not among its
/// columns as loaded).
pub(crate) fn key_columns(p: &Prepared) -> Vec<bool> {
    let Some(pk) = p.plan.table.primary_key.as_ref() else {
        return vec![];
    };
    let cols: Vec<bool> = p
        .columns
        .iter()
        .map(|c| pk.columns.iter().any(|k| k.eq_ignore_ascii_case(&c.0)))
        .collect();
    if cols.iter().filter(|&&k| k).count() == pk.columns.len() {
        cols
    } else {
        vec![]
    }
}

/// Appends `n` in LEB128 (seven bits a byte, the last byte's high bit clear): one byte for
/// nearly every value's length, where eight made the bytes hashed per row half lengths.
fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Value `v` (source kind `from`) as the target (kind `to`) holds it, as the row comparison
/// takes it: a value the target cannot take (a zero date) is NULL.
fn typed(v: &str, from: Kind, to: Kind) -> Option<std::borrow::Cow<'_, str>> {
    match values::fix_str(v, from, to) {
        Ok((fixed, "")) => Some(fixed),
        Ok((fixed, suffix)) => Some(std::borrow::Cow::Owned(format!("{fixed}{suffix}"))),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_do_not_depend_on_row_order_and_find_a_changed_row() {
        let mut a = Digest::default();
        let mut b = Digest::default();
        for (seg, h) in [(0, 5u128), (0, 7), (1, 9)] {
            let e = a.segments.entry(seg).or_default();
            e.rows += 1;
            e.hash = e.hash.wrapping_add(h);
        }
        for (seg, h) in [(1, 9u128), (0, 7), (0, 5)] {
            let e = b.segments.entry(seg).or_default();
            e.rows += 1;
            e.hash = e.hash.wrapping_add(h);
        }
        assert!(a.differing(&b).is_empty());
        b.segments.entry(1).or_default().hash += 1;
        assert_eq!(a.differing(&b), vec![1]);
        let mut bytes = vec![];
        for n in [0u64, 127, 128, 300, u64::MAX] {
            push_varint(&mut bytes, n);
        }
        assert_eq!(
            bytes,
            [
                0, 127, 0x80, 1, 0xAC, 2, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1
            ]
        );
        let mut c = Digest::default();
        c.absorb(&a);
        c.absorb(&a);
        assert_eq!(c.rows(), 6);
    }
}
