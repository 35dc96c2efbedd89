//! [`Rows`]: a batch of rows as it travels from a source reader to a sink writer. Every value of
//! the batch lives in one text buffer, with a span per value, so a batch of 5,000 rows of 16
//! columns costs a few allocations instead of 80,000 (glibc's allocator took a third of
//! Tugboat's CPU on the load path when each value was its own `String`; docs/benchmarks.md).

/// A span's start when the value is NULL.
const NULL: usize = usize::MAX;

/// Rows of `width` text values (or NULLs), in order.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    width: usize,
    text: String,
    /// (start, end) in `text` of each value, row after row; start [`NULL`] for NULL.
    spans: Vec<(usize, usize)>,
}

impl Rows {
    pub fn new(width: usize, rows: usize) -> Rows {
        Rows {
            width,
            text: String::with_capacity(rows * width * 8),
            spans: Vec::with_capacity(rows * width),
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Complete rows held.
    pub fn len(&self) -> usize {
        self.spans.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Bytes of text held.
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    /// Appends one value to the row being built.
    pub fn push(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                let start = self.text.len();
                self.text.push_str(s);
                self.spans.push((start, self.text.len()));
            }
            None => self.spans.push((NULL, 0)),
        }
    }

    /// Appends one value made of `v` then `suffix`.
    pub fn push_with(&mut self, v: &str, suffix: &str) {
        let start = self.text.len();
        self.text.push_str(v);
        self.text.push_str(suffix);
        self.spans.push((start, self.text.len()));
    }

    /// Drops the values of a row left incomplete (a value of it failed).
    pub fn drop_partial(&mut self) {
        let whole = self.len() * self.width;
        if let Some(&(start, _)) = self.spans[whole..].iter().find(|s| s.0 != NULL) {
            self.text.truncate(start);
        }
        self.spans.truncate(whole);
    }

    /// Value `col` of row `row`.
    pub fn get(&self, row: usize, col: usize) -> Option<&str> {
        let (s, e) = self.spans[row * self.width + col];
        (s != NULL).then(|| &self.text[s..e])
    }

    /// The values of row `row`.
    pub fn row(&self, row: usize) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.width).map(move |c| self.get(row, c))
    }

    /// Row `row` as owned values (for the exceptions table and the log).
    pub fn row_vec(&self, row: usize) -> Vec<Option<String>> {
        self.row(row).map(|v| v.map(str::to_string)).collect()
    }

    /// Row `row` alone.
    pub fn one(&self, row: usize) -> Rows {
        let mut r = Rows::new(self.width, 1);
        for v in self.row(row) {
            r.push(v);
        }
        r
    }

    /// Every row as owned values.
    pub fn into_vecs(self) -> Vec<Vec<Option<String>>> {
        (0..self.len()).map(|r| self.row_vec(r)).collect()
    }
}

/// Rows as a PostgreSQL source's own COPY output, passed to a target that reads the same
/// (PostgreSQL's COPY, MySQL's LOAD DATA) without being parsed into values and encoded again
/// (see `tasks::raw`): whole rows only.
#[derive(Debug, Clone)]
pub struct Lines {
    /// Values per row.
    pub width: usize,
    pub bytes: Vec<u8>,
    /// Rows held.
    pub rows: usize,
    pub form: CopyForm,
}

/// The form of a COPY's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyForm {
    /// Text lines, each ended by a newline.
    Text,
    /// Binary tuples (without the stream's header and trailer).
    Binary,
}

/// What a reader passes to the writer of a load: rows of values, or a source's text lines.
#[derive(Debug)]
pub enum Batch {
    Rows(Rows),
    Lines(Lines),
}

impl From<Rows> for Batch {
    fn from(r: Rows) -> Batch {
        Batch::Rows(r)
    }
}

/// A batch being read: values arrive as bytes (MySQL's text protocol gives bytes, and checking
/// each short value for UTF-8 on its own cost a tenth of Tugboat's CPU on the TPC-H load); the
/// whole batch is checked once by [`RawRows::finish`].
#[derive(Debug, Default)]
pub struct RawRows {
    width: usize,
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Some value came as bytes not yet checked for UTF-8.
    unchecked: bool,
}

impl RawRows {
    pub fn new(width: usize, rows: usize) -> RawRows {
        RawRows::with_room(width, rows, rows * width * 8)
    }

    /// Room for `rows` rows of `bytes` bytes in all (the size of the batch before, so the
    /// buffer is not grown, and copied, as it fills).
    pub fn with_room(width: usize, rows: usize, bytes: usize) -> RawRows {
        RawRows {
            width,
            bytes: Vec::with_capacity(bytes),
            spans: Vec::with_capacity(rows * width),
            unchecked: false,
        }
    }

    /// Values per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Complete rows held.
    pub fn len(&self) -> usize {
        self.spans.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Appends one value, checked by [`RawRows::finish`].
    pub fn push_bytes(&mut self, v: Option<&[u8]>) {
        match v {
            Some(b) => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(b);
                self.spans.push((start, self.bytes.len()));
                self.unchecked = true;
            }
            None => self.spans.push((NULL, 0)),
        }
    }

    /// Appends one value already known to be text.
    pub fn push(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(s.as_bytes());
                self.spans.push((start, self.bytes.len()));
            }
            None => self.spans.push((NULL, 0)),
        }
    }

    /// The batch as [`Rows`], once every value is checked to be whole UTF-8 text; otherwise
    /// which value is not (row and column counted from 1 within the batch).
    pub fn finish(self) -> Result<Rows, String> {
        let width = self.width;
        let at = |spans: &[(usize, usize)], k: usize| {
            format!(
                "the value of column {} in row {} of a batch of {} rows",
                k % width.max(1) + 1,
                k / width.max(1) + 1,
                spans.len() / width.max(1)
            )
        };
        let text = match String::from_utf8(self.bytes) {
            Ok(t) => t,
            Err(e) => {
                let bad = e.utf8_error().valid_up_to();
                let k = self
                    .spans
                    .iter()
                    .position(|&(s, end)| s != NULL && s <= bad && bad < end)
                    .unwrap_or(0);
                return Err(format!("{} is not valid UTF-8 text", at(&self.spans, k)));
            }
        };
        // Whole text can still be cut inside a character by two values that are not.
        if self.unchecked
            && let Some(k) = self.spans.iter().position(|&(s, end)| {
                s != NULL && !(text.is_char_boundary(s) && text.is_char_boundary(end))
            })
        {
            return Err(format!("{} is not valid UTF-8 text", at(&self.spans, k)));
        }
        Ok(Rows {
            width,
            text,
            spans: self.spans,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_nulls_and_empty_strings_stay_apart() {
        let mut r = Rows::new(3, 2);
        r.push(Some("a\tb"));
        r.push(None);
        r.push(Some(""));
        r.push(Some("🚢"));
        r.push(Some("x"));
        assert_eq!(r.len(), 1, "the second row is not complete");
        r.drop_partial();
        assert_eq!((r.len(), r.bytes()), (1, 3));
        r.push(Some("🚢"));
        r.push(None);
        r.push(None);
        assert_eq!(r.len(), 2);
        assert_eq!(
            r.row_vec(0),
            vec![Some("a\tb".to_string()), None, Some(String::new())]
        );
        assert_eq!(r.get(1, 0), Some("🚢"));
        assert_eq!(r.get(1, 2), None);
        assert_eq!(
            r.one(1).into_vecs(),
            vec![vec![Some("🚢".into()), None, None]]
        );
    }

    #[test]
    fn raw_batches_are_checked_for_utf8_value_by_value() {
        let mut r = RawRows::new(2, 2);
        r.push_bytes(Some("é".as_bytes()));
        r.push_bytes(None);
        r.push_bytes(Some(b"ok"));
        r.push(Some("🚢"));
        let rows = r.finish().expect("valid text");
        assert_eq!(rows.get(0, 0), Some("é"));
        assert_eq!(rows.get(0, 1), None);
        assert_eq!(rows.get(1, 1), Some("🚢"));

        let mut bad = RawRows::new(2, 2);
        bad.push_bytes(Some(b"fine"));
        bad.push_bytes(Some(b"also"));
        bad.push_bytes(Some(b"x"));
        bad.push_bytes(Some(b"caf\xe9"));
        let e = bad.finish().expect_err("latin-1 bytes are not UTF-8");
        assert!(e.contains("column 2 in row 2"), "{e}");

        // "é" is C3 A9: cut in two, each value is broken though the whole is valid text.
        let mut cut = RawRows::new(2, 1);
        cut.push_bytes(Some(&[b'a', 0xC3]));
        cut.push_bytes(Some(&[0xA9]));
        let e = cut
            .finish()
            .expect_err("a character cut between two values");
        assert!(
            e.contains("column 1 in row 1") || e.contains("column 2 in row 1"),
            "{e}"
        );
    }
}
