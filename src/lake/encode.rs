//! Canonical text values (as every source reads them, see [`crate::engines::values`]) into
//! Arrow arrays of the columns' [`LakeType`]s, refusing any value the type cannot hold exactly
//! (a decimal with more digits than its scale, an integer out of range, a date Parquet cannot
//! hold); and a checksum of rows as Arrow holds them, the same whether the rows were just
//! encoded from the source or read back from the files.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Decimal256Builder,
    Float32Builder, Float64Builder, Int8Builder, Int16Builder, Int32Builder, Int64Builder,
    StringBuilder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder, UInt8Builder,
    UInt16Builder, UInt32Builder, UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::i256;
use arrow_schema::{DataType, Schema, TimeUnit};

use super::types::LakeType;
use crate::engines::values::Kind;

/// One column's values as they are appended.
enum Builder {
    Bool(BooleanBuilder),
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    D128(Decimal128Builder, u8, i8),
    D256(Decimal256Builder, u8, i8),
    Utf8(StringBuilder),
    Bin(BinaryBuilder),
    Date(Date32Builder),
    Time(Time64MicrosecondBuilder),
    Ts(TimestampMicrosecondBuilder),
    TsUtc(TimestampMicrosecondBuilder),
}

fn int<T: std::str::FromStr>(v: &str, what: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{v} does not fit {what} (its Parquet type)"))
}

fn float<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{v} is not a number"))
}

/// The digits of decimal `v` scaled by 10^`scale` (`-12.5` at scale 2: `-1250`), refused when
/// it has more than `precision` digits or more fractional digits than `scale` (it would be
/// rounded).
pub fn unscaled(v: &str, precision: u8, scale: i8) -> Result<String, String> {
    let bad = || format!("{v} is not a decimal");
    let (sign, digits) = match v.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", v.strip_prefix('+').unwrap_or(v)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let scale = scale.max(0) as usize;
    let frac_kept = frac.trim_end_matches('0');
    if frac_kept.len() > scale {
        return Err(format!(
            "{v} has more than {scale} decimal places: decimal({precision},{scale}) would round it"
        ));
    }
    let mut out = String::with_capacity(whole.len() + scale + 1);
    out.push_str(sign);
    let whole = whole.trim_start_matches('0');
    out.push_str(whole);
    out.push_str(frac_kept);
    out.extend(std::iter::repeat_n('0', scale - frac_kept.len()));
    if whole.len() + scale > precision as usize {
        return Err(format!(
            "{v} has more digits than decimal({precision},{scale})"
        ));
    }
    if out.len() == sign.len() {
        out.push('0');
    }
    Ok(out)
}

const EPOCH_DATE: jiff::civil::Date = jiff::civil::date(1970, 1, 1);
const EPOCH: jiff::civil::DateTime = jiff::civil::datetime(1970, 1, 1, 0, 0, 0, 0);

fn date(v: &str) -> Result<i32, String> {
    let d: jiff::civil::Date = v
        .parse()
        .map_err(|_| format!("{v} is not a date Parquet can hold (years 1 to 9999)"))?;
    Ok(d.since(EPOCH_DATE).map_err(|e| e.to_string())?.get_days())
}

fn timestamp(v: &str) -> Result<i64, String> {
    let t: jiff::civil::DateTime = v
        .parse()
        .map_err(|_| format!("{v} is not a date and time Parquet can hold (years 1 to 9999)"))?;
    i64::try_from(t.duration_since(EPOCH).as_micros()).map_err(|e| e.to_string())
}

fn time(v: &str) -> Result<i64, String> {
    // PostgreSQL's time of day goes up to 24:00:00 included.
    if v == "24:00:00" {
        return Ok(86_400_000_000);
    }
    let t: jiff::civil::Time = v.parse().map_err(|_| format!("{v} is not a time of day"))?;
    i64::try_from(t.duration_since(jiff::civil::Time::midnight()).as_micros())
        .map_err(|e| e.to_string())
}

fn unhex(v: &str) -> Result<Vec<u8>, String> {
    let b = v.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(format!(
            "binary value of odd hex length ({} digits)",
            b.len()
        ));
    }
    let digit = |c: u8| -> Result<u8, String> {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| "binary value with a non-hex digit".to_string())
    };
    b.chunks(2)
        .map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

impl Builder {
    fn new(t: LakeType, rows: usize) -> Builder {
        match t {
            LakeType::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
            LakeType::Int8 => Builder::I8(Int8Builder::with_capacity(rows)),
            LakeType::Int16 => Builder::I16(Int16Builder::with_capacity(rows)),
            LakeType::Int32 => Builder::I32(Int32Builder::with_capacity(rows)),
            LakeType::Int64 => Builder::I64(Int64Builder::with_capacity(rows)),
            LakeType::UInt8 => Builder::U8(UInt8Builder::with_capacity(rows)),
            LakeType::UInt16 => Builder::U16(UInt16Builder::with_capacity(rows)),
            LakeType::UInt32 => Builder::U32(UInt32Builder::with_capacity(rows)),
            LakeType::UInt64 => Builder::U64(UInt64Builder::with_capacity(rows)),
            LakeType::Float32 => Builder::F32(Float32Builder::with_capacity(rows)),
            LakeType::Float64 => Builder::F64(Float64Builder::with_capacity(rows)),
            LakeType::Decimal128(p, s) => {
                Builder::D128(Decimal128Builder::with_capacity(rows), p, s)
            }
            LakeType::Decimal256(p, s) => {
                Builder::D256(Decimal256Builder::with_capacity(rows), p, s)
            }
            LakeType::Utf8 => Builder::Utf8(StringBuilder::with_capacity(rows, rows * 16)),
            LakeType::Binary => Builder::Bin(BinaryBuilder::with_capacity(rows, rows * 16)),
            LakeType::Date32 => Builder::Date(Date32Builder::with_capacity(rows)),
            LakeType::Time64 => Builder::Time(Time64MicrosecondBuilder::with_capacity(rows)),
            LakeType::Timestamp => Builder::Ts(TimestampMicrosecondBuilder::with_capacity(rows)),
            LakeType::TimestampUtc => Builder::TsUtc(
                TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            ),
        }
    }

    fn null(&mut self) {
        match self {
            Builder::Bool(b) => b.append_null(),
            Builder::I8(b) => b.append_null(),
            Builder::I16(b) => b.append_null(),
            Builder::I32(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::U8(b) => b.append_null(),
            Builder::U16(b) => b.append_null(),
            Builder::U32(b) => b.append_null(),
            Builder::U64(b) => b.append_null(),
            Builder::F32(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::D128(b, ..) => b.append_null(),
            Builder::D256(b, ..) => b.append_null(),
            Builder::Utf8(b) => b.append_null(),
            Builder::Bin(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Time(b) => b.append_null(),
            Builder::Ts(b) | Builder::TsUtc(b) => b.append_null(),
        }
    }

    /// Appends canonical value `v` (already fixed to the type's kind).
    fn value(&mut self, v: &str) -> Result<(), String> {
        match self {
            Builder::Bool(b) => b.append_value(match v {
                "1" => true,
                "0" => false,
                _ => return Err(format!("{v} is not a boolean")),
            }),
            Builder::I8(b) => b.append_value(int(v, "int8")?),
            Builder::I16(b) => b.append_value(int(v, "int16")?),
            Builder::I32(b) => b.append_value(int(v, "int32")?),
            Builder::I64(b) => b.append_value(int(v, "int64")?),
            Builder::U8(b) => b.append_value(int(v, "uint8")?),
            Builder::U16(b) => b.append_value(int(v, "uint16")?),
            Builder::U32(b) => b.append_value(int(v, "uint32")?),
            Builder::U64(b) => b.append_value(int(v, "uint64")?),
            Builder::F32(b) => b.append_value(float(v)?),
            Builder::F64(b) => b.append_value(float(v)?),
            Builder::D128(b, p, s) => b.append_value(int(&unscaled(v, *p, *s)?, "decimal128")?),
            Builder::D256(b, p, s) => b.append_value(
                i256::from_string(&unscaled(v, *p, *s)?)
                    .ok_or_else(|| format!("{v} does not fit decimal256"))?,
            ),
            Builder::Utf8(b) => b.append_value(v),
            Builder::Bin(b) => b.append_value(unhex(v)?),
            Builder::Date(b) => b.append_value(date(v)?),
            Builder::Time(b) => b.append_value(time(v)?),
            Builder::Ts(b) | Builder::TsUtc(b) => b.append_value(timestamp(v)?),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::I8(b) => Arc::new(b.finish()),
            Builder::I16(b) => Arc::new(b.finish()),
            Builder::I32(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::U8(b) => Arc::new(b.finish()),
            Builder::U16(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::U64(b) => Arc::new(b.finish()),
            Builder::F32(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::D128(b, p, s) => Arc::new(
                b.finish()
                    .with_precision_and_scale(*p, *s)
                    .unwrap_or_else(|_| arrow_array::Decimal128Array::from(Vec::<i128>::new())),
            ),
            Builder::D256(b, p, s) => Arc::new(
                b.finish()
                    .with_precision_and_scale(*p, *s)
                    .unwrap_or_else(|_| arrow_array::Decimal256Array::from(Vec::<i256>::new())),
            ),
            Builder::Utf8(b) => Arc::new(b.finish()),
            Builder::Bin(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
            Builder::Ts(b) => Arc::new(b.finish()),
            Builder::TsUtc(b) => Arc::new(b.finish().with_timezone("UTC")),
        }
    }
}

/// What became of a column's value on its way in (the task's policies), counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fixed {
    pub zero_dates: u64,
}

/// Encodes rows of canonical text into record batches of one table's schema.
pub struct Encoder {
    schema: Arc<Schema>,
    /// (source kind, Parquet type, column name) per column.
    columns: Vec<(Kind, LakeType, String)>,
    /// MySQL zero dates become NULL (the task's zero-date policy), else they are refused.
    zero_dates_null: bool,
}

impl Encoder {
    pub fn new(
        schema: Arc<Schema>,
        columns: Vec<(Kind, LakeType, String)>,
        zero_dates_null: bool,
    ) -> Encoder {
        Encoder {
            schema,
            columns,
            zero_dates_null,
        }
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// `rows` as one record batch; an error names the column and the value refused.
    pub fn encode(
        &self,
        rows: &crate::engines::rows::Rows,
        fixed: &mut Fixed,
    ) -> Result<RecordBatch, String> {
        let n = rows.len();
        let mut arrays = Vec::with_capacity(self.columns.len());
        for (i, (from, to, name)) in self.columns.iter().enumerate() {
            let mut b = Builder::new(*to, n);
            for r in 0..n {
                let Some(v) = rows.get(r, i) else {
                    b.null();
                    continue;
                };
                let fixed_v = match crate::engines::values::fix_str(v, *from, to.kind(*from)) {
                    Ok((v, _suffix)) => v,
                    Err(_) if self.zero_dates_null && crate::engines::values::is_zero_date(v) => {
                        fixed.zero_dates += 1;
                        b.null();
                        continue;
                    }
                    Err(e) => return Err(format!("column {name}: {e}")),
                };
                b.value(&fixed_v)
                    .map_err(|e| format!("column {name}: {e}"))?;
            }
            arrays.push(b.finish());
        }
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| e.to_string())
    }
}

/// An order-free checksum of rows: their count and the sum of two 64-bit hashes of each row's
/// values as Arrow holds them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowSum {
    pub rows: u64,
    pub a: u64,
    pub b: u64,
}

use serde::{Deserialize, Serialize};

impl RowSum {
    /// Adds the rows of `batch`.
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), String> {
        for (a, b) in row_hashes(batch.columns(), batch.num_rows())? {
            self.add_row(a, b);
        }
        Ok(())
    }

    /// Adds the rows of `other`.
    pub fn merge(&mut self, other: &RowSum) {
        self.rows += other.rows;
        self.a = self.a.wrapping_add(other.a);
        self.b = self.b.wrapping_add(other.b);
    }

    /// Adds one row of hashes `a` and `b` (see [`row_hashes`]).
    pub fn add_row(&mut self, a: u64, b: u64) {
        self.rows += 1;
        self.a = self.a.wrapping_add(a);
        self.b = self.b.wrapping_add(b);
    }
}

/// The two 64-bit hashes of each of `rows` rows of `columns` (in their order), as [`RowSum`]
/// adds them.
pub fn row_hashes(columns: &[ArrayRef], rows: usize) -> Result<Vec<(u64, u64)>, String> {
    let hashers = |seed: u8| -> Vec<std::hash::DefaultHasher> {
        (0..rows)
            .map(|_| {
                let mut h = std::hash::DefaultHasher::new();
                h.write_u8(seed);
                h
            })
            .collect()
    };
    let (mut ha, mut hb) = (hashers(1), hashers(2));
    for col in columns {
        hash_column(col, &mut ha)?;
        hash_column(col, &mut hb)?;
    }
    Ok(ha
        .into_iter()
        .zip(hb)
        .map(|(a, b)| (a.finish(), b.finish()))
        .collect())
}

/// Feeds each row's value of `col` (a null apart from every value) to its hasher.
fn hash_column(col: &ArrayRef, hashers: &mut [std::hash::DefaultHasher]) -> Result<(), String> {
    macro_rules! each {
        ($arr:expr, |$v:ident, $h:ident| $body:expr) => {{
            let arr = $arr;
            for (i, $h) in hashers.iter_mut().enumerate() {
                if arr.is_null(i) {
                    $h.write_u8(0);
                } else {
                    $h.write_u8(1);
                    let $v = arr.value(i);
                    $body;
                }
            }
        }};
    }
    use arrow_array::types::*;
    match col.data_type() {
        DataType::Boolean => each!(col.as_boolean(), |v, h| h.write_u8(v as u8)),
        DataType::Int8 => each!(col.as_primitive::<Int8Type>(), |v, h| v.hash(h)),
        DataType::Int16 => each!(col.as_primitive::<Int16Type>(), |v, h| v.hash(h)),
        DataType::Int32 => each!(col.as_primitive::<Int32Type>(), |v, h| v.hash(h)),
        DataType::Int64 => each!(col.as_primitive::<Int64Type>(), |v, h| v.hash(h)),
        DataType::UInt8 => each!(col.as_primitive::<UInt8Type>(), |v, h| v.hash(h)),
        DataType::UInt16 => each!(col.as_primitive::<UInt16Type>(), |v, h| v.hash(h)),
        DataType::UInt32 => each!(col.as_primitive::<UInt32Type>(), |v, h| v.hash(h)),
        DataType::UInt64 => each!(col.as_primitive::<UInt64Type>(), |v, h| v.hash(h)),
        DataType::Float32 => {
            each!(col.as_primitive::<Float32Type>(), |v, h| h
                .write_u32(v.to_bits()))
        }
        DataType::Float64 => {
            each!(col.as_primitive::<Float64Type>(), |v, h| h
                .write_u64(v.to_bits()))
        }
        DataType::Decimal128(..) => each!(col.as_primitive::<Decimal128Type>(), |v, h| v.hash(h)),
        DataType::Decimal256(..) => each!(col.as_primitive::<Decimal256Type>(), |v, h| h
            .write(&v.to_le_bytes())),
        DataType::Utf8 => each!(col.as_string::<i32>(), |v, h| v.hash(h)),
        DataType::Binary => each!(col.as_binary::<i32>(), |v, h| v.hash(h)),
        DataType::Date32 => each!(col.as_primitive::<Date32Type>(), |v, h| v.hash(h)),
        DataType::Time64(TimeUnit::Microsecond) => {
            each!(col.as_primitive::<Time64MicrosecondType>(), |v, h| v
                .hash(h))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            each!(col.as_primitive::<TimestampMicrosecondType>(), |v, h| v
                .hash(h))
        }
        other => return Err(format!("a column of type {other} Tugboat does not write")),
    }
    Ok(())
}

/// Value `i` of `col` as text, as a reader of the file would show it (None for NULL).
pub fn show(col: &ArrayRef, i: usize) -> Option<String> {
    use arrow_array::types::*;
    use arrow_array::{Array, types::DecimalType};
    if col.is_null(i) {
        return None;
    }
    let micros = |v: i64| jiff::Timestamp::from_microsecond(v).ok();
    Some(match col.data_type() {
        DataType::Boolean => col.as_boolean().value(i).to_string(),
        DataType::Int8 => col.as_primitive::<Int8Type>().value(i).to_string(),
        DataType::Int16 => col.as_primitive::<Int16Type>().value(i).to_string(),
        DataType::Int32 => col.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::Int64 => col.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::UInt8 => col.as_primitive::<UInt8Type>().value(i).to_string(),
        DataType::UInt16 => col.as_primitive::<UInt16Type>().value(i).to_string(),
        DataType::UInt32 => col.as_primitive::<UInt32Type>().value(i).to_string(),
        DataType::UInt64 => col.as_primitive::<UInt64Type>().value(i).to_string(),
        DataType::Float32 => col.as_primitive::<Float32Type>().value(i).to_string(),
        DataType::Float64 => col.as_primitive::<Float64Type>().value(i).to_string(),
        DataType::Decimal128(p, s) => {
            Decimal128Type::format_decimal(col.as_primitive::<Decimal128Type>().value(i), *p, *s)
        }
        DataType::Decimal256(p, s) => {
            Decimal256Type::format_decimal(col.as_primitive::<Decimal256Type>().value(i), *p, *s)
        }
        DataType::Utf8 => col.as_string::<i32>().value(i).to_string(),
        DataType::Binary => col
            .as_binary::<i32>()
            .value(i)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        DataType::Date32 => {
            let days = col.as_primitive::<Date32Type>().value(i);
            micros(i64::from(days) * 86_400_000_000)
                .map(|t| jiff::tz::Offset::UTC.to_datetime(t).date().to_string())
                .unwrap_or_else(|| format!("{days} days after 1970-01-01"))
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            let v = col.as_primitive::<Time64MicrosecondType>().value(i);
            let (s, us) = (v / 1_000_000, v % 1_000_000);
            format!("{:02}:{:02}:{:02}.{us:06}", s / 3600, s / 60 % 60, s % 60)
        }
        DataType::Timestamp(TimeUnit::Microsecond, zone) => {
            let v = col.as_primitive::<TimestampMicrosecondType>().value(i);
            match (micros(v), zone) {
                (Some(t), Some(_)) => t.to_string(),
                (Some(t), None) => jiff::tz::Offset::UTC.to_datetime(t).to_string(),
                (None, _) => format!("{v} µs after 1970-01-01"),
            }
        }
        other => format!("(a value of type {other})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_as_a_reader_of_the_file_shows_them() {
        use arrow_array::*;
        use std::sync::Arc;
        let cols: Vec<(ArrayRef, &str)> = vec![
            (
                Arc::new(
                    Decimal128Array::from(vec![-1250])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
                "-12.50",
            ),
            (Arc::new(Date32Array::from(vec![-1])), "1969-12-31"),
            (
                Arc::new(TimestampMicrosecondArray::from(vec![1_500_000])),
                "1970-01-01T00:00:01.5",
            ),
            (
                Arc::new(TimestampMicrosecondArray::from(vec![1_500_000]).with_timezone("UTC")),
                "1970-01-01T00:00:01.5Z",
            ),
            (
                Arc::new(Time64MicrosecondArray::from(vec![3_723_000_001])),
                "01:02:03.000001",
            ),
            (Arc::new(BinaryArray::from(vec![&[0u8, 255][..]])), "00ff"),
            (
                Arc::new(StringArray::from(vec!["it's \"x\""])),
                "it's \"x\"",
            ),
            (
                Arc::new(UInt64Array::from(vec![u64::MAX])),
                "18446744073709551615",
            ),
        ];
        for (col, want) in cols {
            assert_eq!(
                show(&col, 0).as_deref(),
                Some(want),
                "{:?}",
                col.data_type()
            );
        }
        let nulls: ArrayRef = Arc::new(Int32Array::from(vec![None, Some(1)]));
        assert_eq!(show(&nulls, 0), None);
    }

    #[test]
    fn decimals_keep_every_digit_or_are_refused() {
        assert_eq!(unscaled("12.5", 10, 2).unwrap(), "1250");
        let n = |v: &str| unscaled(v, 10, 2).unwrap().parse::<i128>().unwrap();
        assert_eq!(n("-0.05"), -5);
        assert_eq!(n("0"), 0);
        assert_eq!(n("-0"), 0);
        assert_eq!(unscaled("12.500", 10, 2).unwrap(), "1250");
        assert!(unscaled("12.505", 10, 2).is_err());
        assert!(unscaled("123456789.1", 10, 2).is_err());
        assert!(unscaled("1e5", 10, 2).is_err());
        assert!(unscaled("NaN", 10, 2).is_err());
        assert_eq!(date("1970-01-02").unwrap(), 1);
        assert_eq!(date("1969-12-31").unwrap(), -1);
        assert_eq!(timestamp("1970-01-01 00:00:01.5").unwrap(), 1_500_000);
        assert_eq!(
            timestamp("2024-02-29 23:59:59").unwrap(),
            1_709_251_199_000_000
        );
        assert!(timestamp("infinity").is_err());
        assert_eq!(time("00:00:01.000001").unwrap(), 1_000_001);
        assert_eq!(unhex("00ff").unwrap(), vec![0, 255]);
    }
}
