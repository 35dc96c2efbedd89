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

/// How rows are cut into segments: by the integer value of one column, `width` values from
/// `lo` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    /// The column (of the table's columns as loaded) whose value picks the segment.
    pub column: usize,
    pub lo: i128,
    pub width: i128,
}

impl Segments {
    /// The segment of key value `key` (a value that is no integer: a segment of its own).
    pub fn of(&self, key: Option<&str>) -> i128 {
        key.and_then(|v| v.parse::<i128>().ok())
            .map_or(i128::MIN, |k| (k - self.lo).div_euclid(self.width.max(1)))
    }

    /// The key values of segment `seg`: from, to (excluded).
    pub fn bounds(&self, seg: i128) -> (i128, i128) {
        let from = self.lo + seg * self.width.max(1);
        (from, from + self.width.max(1))
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
}

impl Digest {
    /// Adds `other`'s rows (another key range of the same table, hashed with the same width).
    pub fn absorb(&mut self, other: &Digest) {
        self.key = other.key;
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
    /// The segment of the rows last hashed and their sum so far (rows mostly come in key
    /// order: the map is touched once per segment, not once per row).
    current: Option<(i128, Sum)>,
    digest: Digest,
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
        Hasher {
            p,
            ways,
            buf: Vec::with_capacity(512),
            current: None,
            digest: Digest {
                key,
                segments: BTreeMap::new(),
            },
        }
    }

    /// Adds every row of `rows`.
    pub fn add(&mut self, rows: &Rows) {
        for r in 0..rows.len() {
            self.buf.clear();
            let mut segment = 0i128;
            for (i, v) in rows.row(r).enumerate() {
                if let Some(s) = self.digest.key
                    && s.column == i
                {
                    segment = s.of(v);
                }
                self.value(i, v);
            }
            let h = twox_hash::XxHash3_128::oneshot(&self.buf);
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
        self.digest
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
