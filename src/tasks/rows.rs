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
}
