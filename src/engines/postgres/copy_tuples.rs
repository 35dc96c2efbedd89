//! Rows of PostgreSQL's binary COPY format as `COPY ... TO STDOUT (FORMAT binary)` sends them,
//! cut into whole tuples ([`Splitter`]) to be passed as they are to a `COPY ... FROM STDIN
//! (FORMAT binary)` of columns of the same types (`tasks::raw`), and read field by field
//! ([`fields`]) where they are hashed. A tuple is a 16-bit field count, then each field's
//! 32-bit length (-1: NULL) and bytes, all big-endian; the stream starts with a header and
//! ends with a field count of -1.

/// The header's fixed part: the signature, the flags and the length of the extension area.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Cuts a binary COPY stream, chunk by chunk, into whole tuples of `width` fields.
#[derive(Debug)]
pub struct Splitter {
    width: usize,
    /// The header was read.
    started: bool,
    /// The trailer was read.
    ended: bool,
    /// The start of a tuple (or of the header) cut by the end of the last chunk.
    pending: Vec<u8>,
}

/// Where the tuple at the start of some bytes ends.
enum Next {
    /// It ends after this many bytes.
    Tuple(usize),
    /// The trailer.
    End,
    /// Its end has not arrived yet.
    Incomplete,
}

impl Splitter {
    pub fn new(width: usize) -> Splitter {
        Splitter {
            width,
            started: false,
            ended: false,
            pending: vec![],
        }
    }

    /// Appends the whole tuples `chunk` completes to `out`, as they came; the tuples appended.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<usize, String> {
        let joined;
        let data: &[u8] = if self.pending.is_empty() {
            chunk
        } else {
            let mut p = std::mem::take(&mut self.pending);
            p.extend_from_slice(chunk);
            joined = p;
            &joined
        };
        let mut at = 0;
        if !self.started {
            match header_len(data)? {
                Some(n) => {
                    self.started = true;
                    at = n;
                }
                None => {
                    self.pending = data.to_vec();
                    return Ok(0);
                }
            }
        }
        let mut tuples = 0;
        while at < data.len() {
            if self.ended {
                return Err("COPY sent bytes after its end".into());
            }
            match next(&data[at..], self.width)? {
                Next::Tuple(n) => {
                    out.extend_from_slice(&data[at..at + n]);
                    at += n;
                    tuples += 1;
                }
                Next::End => {
                    self.ended = true;
                    at += 2;
                }
                Next::Incomplete => break,
            }
        }
        self.pending = data[at..].to_vec();
        Ok(tuples)
    }

    /// Whether the stream ended whole: its trailer read, nothing left over.
    pub fn finish(&self) -> Result<(), String> {
        if !self.ended || !self.pending.is_empty() {
            return Err("COPY ended in the middle of a row".into());
        }
        Ok(())
    }
}

/// The header's length, once all of it is there.
fn header_len(b: &[u8]) -> Result<Option<usize>, String> {
    if b.len() < SIGNATURE.len() + 8 {
        return Ok(None);
    }
    if !b.starts_with(SIGNATURE) {
        return Err("COPY did not send its binary header".into());
    }
    let ext = usize::try_from(be32(&b[SIGNATURE.len() + 4..]))
        .map_err(|_| "COPY sent a binary header of a negative length".to_string())?;
    let n = SIGNATURE.len() + 8 + ext;
    Ok((b.len() >= n).then_some(n))
}

fn be16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Where the tuple at the start of `b` ends.
fn next(b: &[u8], width: usize) -> Result<Next, String> {
    if b.len() < 2 {
        return Ok(Next::Incomplete);
    }
    let count = be16(b);
    if count == -1 {
        return Ok(Next::End);
    }
    if count as usize != width {
        return Err(format!("COPY sent a row of {count} values, not {width}"));
    }
    let mut at = 2;
    for _ in 0..width {
        if b.len() < at + 4 {
            return Ok(Next::Incomplete);
        }
        let len = be32(&b[at..]);
        at += 4;
        if len > 0 {
            at += len as usize;
        } else if len < -1 {
            return Err(format!("COPY sent a value of length {len}"));
        }
    }
    Ok(if b.len() < at {
        Next::Incomplete
    } else {
        Next::Tuple(at)
    })
}

/// The tuples of `b` (whole tuples, as [`Splitter::push`] gives them), one at a time.
pub fn tuples(b: &[u8], width: usize) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || match next(&b[at..], width) {
        Ok(Next::Tuple(n)) => {
            let t = &b[at..at + n];
            at += n;
            Some(t)
        }
        _ => None,
    })
}

/// The fields of one whole tuple: each field's bytes, None for NULL.
pub fn fields(tuple: &[u8]) -> impl Iterator<Item = Option<&[u8]>> {
    let width = if tuple.len() >= 2 {
        be16(tuple).max(0)
    } else {
        0
    } as usize;
    let mut at = 2;
    (0..width).map(move |_| {
        let len = tuple.get(at..at + 4).map_or(-1, be32);
        at += 4;
        if len < 0 {
            return None;
        }
        let v = tuple.get(at..at + len as usize);
        at += len as usize;
        v
    })
}

/// A binary integer field's value (PostgreSQL's smallint, integer and bigint).
pub fn integer(field: &[u8]) -> Option<i128> {
    match field.len() {
        2 => Some(i128::from(be16(field))),
        4 => Some(i128::from(be32(field))),
        8 => Some(i128::from(i64::from_be_bytes(field.try_into().ok()?))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of two rows of (integer, text): (7, "ab"), (-1, NULL), header and trailer.
    fn stream() -> Vec<u8> {
        let mut s = SIGNATURE.to_vec();
        s.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2, 0xAA, 0xBB]);
        for (i, t) in [(7i32, Some("ab")), (-1, None)] {
            s.extend_from_slice(&2i16.to_be_bytes());
            s.extend_from_slice(&4i32.to_be_bytes());
            s.extend_from_slice(&i.to_be_bytes());
            match t {
                Some(t) => {
                    s.extend_from_slice(&(t.len() as i32).to_be_bytes());
                    s.extend_from_slice(t.as_bytes());
                }
                None => s.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        s.extend_from_slice(&(-1i16).to_be_bytes());
        s
    }

    #[test]
    fn a_stream_cut_anywhere_gives_the_same_whole_tuples() -> Result<(), String> {
        let s = stream();
        let mut whole = vec![];
        let mut one = Splitter::new(2);
        assert_eq!(one.push(&s, &mut whole)?, 2);
        one.finish()?;
        for cut in 1..s.len() {
            let mut out = vec![];
            let mut sp = Splitter::new(2);
            let n = sp.push(&s[..cut], &mut out)? + sp.push(&s[cut..], &mut out)?;
            sp.finish()?;
            assert_eq!((n, &out), (2, &whole), "cut at {cut}");
        }
        let rows: Vec<Vec<Option<&[u8]>>> =
            tuples(&whole, 2).map(|t| fields(t).collect()).collect();
        assert_eq!(
            rows,
            vec![
                vec![Some(&7i32.to_be_bytes()[..]), Some(&b"ab"[..])],
                vec![Some(&(-1i32).to_be_bytes()[..]), None]
            ]
        );
        assert_eq!(integer(&(-1i32).to_be_bytes()), Some(-1));
        assert_eq!(integer(&5i64.to_be_bytes()), Some(5));
        Ok(())
    }

    #[test]
    fn a_stream_cut_short_or_of_another_width_is_an_error() {
        let s = stream();
        let mut sp = Splitter::new(2);
        let mut out = vec![];
        assert!(sp.push(&s[..s.len() - 3], &mut out).is_ok());
        assert!(sp.finish().is_err(), "no trailer: cut short");
        let mut wide = Splitter::new(3);
        assert!(wide.push(&s, &mut vec![]).is_err());
        assert!(
            Splitter::new(2)
                .push(b"not a COPY stream at all", &mut vec![])
                .is_err()
        );
        let mut negative = SIGNATURE.to_vec();
        negative.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0]);
        assert!(
            Splitter::new(2).push(&negative, &mut vec![]).is_err(),
            "a header of a negative length"
        );
    }
}
