//! Spatial values on their way between engines. They travel as hex text in one of three
//! spellings, by where they come from ([`super::values::Kind`]):
//! - MySQL/MariaDB geometry columns: MySQL's own format, the SRID (4 bytes, little-endian)
//!   followed by the WKB ([`Kind::MyGeometry`](super::values::Kind::MyGeometry));
//! - PostGIS geometry, and the bytea / BLOB columns spatial values become where the target has no
//!   spatial type: EWKB, PostGIS's WKB with the SRID inside
//!   ([`Kind::Geometry`](super::values::Kind::Geometry));
//! - PostgreSQL's built-in geometric types (point, lseg, box, path, polygon) as their text.
//!
//! Conversions between them keep every coordinate's bits. What one side cannot hold (a circle
//! in MySQL, a 3D point in MySQL, a multipolygon in a PostgreSQL polygon) is refused with the
//! reason, for the task's error policy: never approximated.

use super::values::hex;

/// PostgreSQL's built-in geometric types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgGeo {
    Point,
    Lseg,
    Box,
    Path,
    Polygon,
    Line,
    Circle,
}

impl PgGeo {
    pub fn from_type(name: &str) -> Option<PgGeo> {
        Some(match name {
            "point" => PgGeo::Point,
            "lseg" => PgGeo::Lseg,
            "box" => PgGeo::Box,
            "path" => PgGeo::Path,
            "polygon" => PgGeo::Polygon,
            "line" => PgGeo::Line,
            "circle" => PgGeo::Circle,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            PgGeo::Point => "point",
            PgGeo::Lseg => "lseg",
            PgGeo::Box => "box",
            PgGeo::Path => "path",
            PgGeo::Polygon => "polygon",
            PgGeo::Line => "line",
            PgGeo::Circle => "circle",
        }
    }
}

const SRID_FLAG: u32 = 0x2000_0000;
const Z_FLAG: u32 = 0x8000_0000;
const M_FLAG: u32 = 0x4000_0000;

fn unhex(h: &str) -> Result<Vec<u8>, String> {
    if !h.len().is_multiple_of(2) {
        return Err("odd-length hex".into());
    }
    // By bytes: a value that is not hex (any text a BLOB column held) is an error, never a
    // slice through a multi-byte character.
    let digit = |c: u8| (c as char).to_digit(16).ok_or("not hex".to_string());
    h.as_bytes()
        .chunks(2)
        .map(|p| Ok((digit(p[0])? * 16 + digit(p[1])?) as u8))
        .collect()
}

fn u32_at(b: &[u8], at: usize, little: bool) -> Result<u32, String> {
    let x: [u8; 4] = b
        .get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .ok_or("the geometry is cut short")?;
    Ok(if little {
        u32::from_le_bytes(x)
    } else {
        u32::from_be_bytes(x)
    })
}

fn put_u32(out: &mut Vec<u8>, v: u32, little: bool) {
    out.extend_from_slice(&if little {
        v.to_le_bytes()
    } else {
        v.to_be_bytes()
    });
}

/// A WKB or EWKB geometry (hex) as bytes, with its byte order (true: little-endian) and its
/// type word.
fn wkb_head(h: &str) -> Result<(Vec<u8>, bool, u32), String> {
    let b = unhex(h)?;
    let little = match b.first() {
        Some(1) => true,
        Some(0) => false,
        _ => return Err("not a WKB geometry".into()),
    };
    let t = u32_at(&b, 1, little)?;
    Ok((b, little, t))
}

/// MySQL's format (hex) into EWKB (hex).
pub fn mysql_to_ewkb(h: &str) -> Result<String, String> {
    let b = unhex(h)?;
    let srid = u32_at(&b, 0, true)?;
    let wkb = &b[4..];
    if srid == 0 {
        return Ok(hex(wkb));
    }
    let little = *wkb.first().ok_or("the geometry is empty")? == 1;
    let t = u32_at(wkb, 1, little)?;
    let mut out = Vec::with_capacity(wkb.len() + 4);
    out.push(wkb[0]);
    put_u32(&mut out, t | SRID_FLAG, little);
    put_u32(&mut out, srid, little);
    out.extend_from_slice(&wkb[5..]);
    Ok(hex(&out))
}

/// EWKB or plain WKB (hex) into MySQL's format (hex). Z and M coordinates are refused: MySQL
/// geometries are 2D.
pub fn ewkb_to_mysql(h: &str) -> Result<String, String> {
    let (b, little, t) = wkb_head(h)?;
    if t & (Z_FLAG | M_FLAG) != 0 || (t & 0xFFFF) >= 1000 {
        return Err(
            "a geometry with Z or M coordinates cannot be stored in MySQL (2D only)".into(),
        );
    }
    let (srid, body) = if t & SRID_FLAG != 0 {
        (u32_at(&b, 5, little)?, &b[9..])
    } else {
        (0, &b[5..])
    };
    let mut out = Vec::with_capacity(b.len() + 4);
    put_u32(&mut out, srid, true);
    out.push(b[0]);
    put_u32(&mut out, t & !SRID_FLAG, little);
    out.extend_from_slice(body);
    Ok(hex(&out))
}

/// The numbers of a PostgreSQL geometric value's text.
fn numbers(text: &str) -> Result<Vec<f64>, String> {
    text.split(|c: char| "()[]<>{},".contains(c))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .map_err(|_| format!("'{s}' is not a coordinate"))
        })
        .collect()
}

fn wkb_points(out: &mut Vec<u8>, pts: &[(f64, f64)]) {
    put_u32(out, pts.len() as u32, true);
    for (x, y) in pts {
        out.extend_from_slice(&x.to_le_bytes());
        out.extend_from_slice(&y.to_le_bytes());
    }
}

fn wkb(kind: u32, rings: &[Vec<(f64, f64)>]) -> Vec<u8> {
    let mut out = vec![1];
    put_u32(&mut out, kind, true);
    match kind {
        1 => {
            out.extend_from_slice(&rings[0][0].0.to_le_bytes());
            out.extend_from_slice(&rings[0][0].1.to_le_bytes());
        }
        2 => wkb_points(&mut out, &rings[0]),
        _ => {
            put_u32(&mut out, rings.len() as u32, true);
            for r in rings {
                wkb_points(&mut out, r);
            }
        }
    }
    out
}

/// A PostgreSQL geometric value (its text) as WKB (hex, SRID 0): a point as a POINT, an lseg
/// or a path as a LINESTRING (a closed path ends where it starts), a box or a polygon as a
/// POLYGON. Lines and circles have no WKB form.
pub fn pg_to_wkb(text: &str, g: PgGeo) -> Result<String, String> {
    if matches!(g, PgGeo::Line | PgGeo::Circle) {
        return Err(format!(
            "a PostgreSQL {} has no spatial (WKB) equivalent",
            g.name()
        ));
    }
    let n = numbers(text)?;
    if n.len() % 2 != 0 || n.is_empty() {
        return Err(format!("'{text}' is not a {}", g.name()));
    }
    let mut pts: Vec<(f64, f64)> = n.chunks(2).map(|c| (c[0], c[1])).collect();
    let close = |pts: &mut Vec<(f64, f64)>| {
        if pts.first() != pts.last() {
            pts.push(pts[0]);
        }
    };
    let out = match g {
        PgGeo::Point => wkb(1, &[pts]),
        PgGeo::Lseg => wkb(2, &[pts]),
        PgGeo::Path => {
            if text.trim_start().starts_with('(') {
                close(&mut pts);
            }
            wkb(2, &[pts])
        }
        PgGeo::Polygon => {
            close(&mut pts);
            wkb(3, &[pts])
        }
        PgGeo::Box => {
            let [(x1, y1), (x2, y2)] = pts[..] else {
                return Err(format!("'{text}' is not a box"));
            };
            wkb(3, &[vec![(x2, y2), (x1, y2), (x1, y1), (x2, y1), (x2, y2)]])
        }
        PgGeo::Line | PgGeo::Circle => return Err(format!("'{text}' has no WKB form")),
    };
    Ok(hex(&out))
}

/// The geometry type name of a WKB type code.
fn type_name(t: u32) -> &'static str {
    match t {
        1 => "POINT",
        2 => "LINESTRING",
        3 => "POLYGON",
        4 => "MULTIPOINT",
        5 => "MULTILINESTRING",
        6 => "MULTIPOLYGON",
        7 => "GEOMETRYCOLLECTION",
        _ => "geometry",
    }
}

/// EWKB or WKB (hex) as the text of a PostgreSQL geometric type, when it fits exactly: a POINT
/// as a point; a two-point LINESTRING as an lseg; a LINESTRING as a path (open, or closed when
/// it ends where it starts); a one-ring POLYGON as a polygon, or as a box when it is an
/// axis-aligned rectangle.
pub fn wkb_to_pg(h: &str, g: PgGeo) -> Result<String, String> {
    let (b, little, t) = wkb_head(h)?;
    let mut at = if t & SRID_FLAG != 0 { 9 } else { 5 };
    let t = t & 0xFFFF;
    let f = |at: &mut usize| -> Result<f64, String> {
        let x: [u8; 8] = b
            .get(*at..*at + 8)
            .and_then(|s| s.try_into().ok())
            .ok_or("the geometry is cut short")?;
        *at += 8;
        Ok(if little {
            f64::from_le_bytes(x)
        } else {
            f64::from_be_bytes(x)
        })
    };
    let points = |at: &mut usize| -> Result<Vec<(f64, f64)>, String> {
        let n = u32_at(&b, *at, little)? as usize;
        *at += 4;
        if n > b.len() / 16 {
            return Err("the geometry is cut short".into());
        }
        (0..n).map(|_| Ok((f(at)?, f(at)?))).collect()
    };
    let fmt = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|(x, y)| format!("({x},{y})"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let refuse = || {
        Err(format!(
            "a {} cannot be stored in a PostgreSQL {}",
            type_name(t),
            g.name()
        ))
    };
    match (t, g) {
        (1, PgGeo::Point) => Ok(format!("({},{})", f(&mut at)?, f(&mut at)?)),
        (2, PgGeo::Lseg | PgGeo::Path) => {
            let pts = points(&mut at)?;
            if g == PgGeo::Lseg {
                if pts.len() != 2 {
                    return Err(format!(
                        "a LINESTRING of {} points cannot be stored in a PostgreSQL lseg",
                        pts.len()
                    ));
                }
                return Ok(format!("[{}]", fmt(&pts)));
            }
            if pts.len() > 2 && pts.first() == pts.last() {
                Ok(format!("({})", fmt(&pts[..pts.len() - 1])))
            } else {
                Ok(format!("[{}]", fmt(&pts)))
            }
        }
        (3, PgGeo::Polygon | PgGeo::Box) => {
            let rings = u32_at(&b, at, little)?;
            at += 4;
            if rings != 1 {
                return Err(format!(
                    "a POLYGON with {rings} rings cannot be stored in a PostgreSQL {}",
                    g.name()
                ));
            }
            let mut pts = points(&mut at)?;
            if pts.len() > 1 && pts.first() == pts.last() {
                pts.pop();
            }
            if g == PgGeo::Polygon {
                return Ok(format!("({})", fmt(&pts)));
            }
            let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
            let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
            let (x1, x2) = (
                xs.iter().cloned().fold(f64::INFINITY, f64::min),
                xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            );
            let (y1, y2) = (
                ys.iter().cloned().fold(f64::INFINITY, f64::min),
                ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            );
            let rectangle = pts.len() == 4
                && pts
                    .iter()
                    .all(|(x, y)| (*x == x1 || *x == x2) && (*y == y1 || *y == y2));
            if !rectangle {
                return Err(
                    "a POLYGON that is not an axis-aligned rectangle cannot be stored in a PostgreSQL box".into(),
                );
            }
            Ok(format!("({x2},{y2}),({x1},{y1})"))
        }
        _ => refuse(),
    }
}

/// A PostgreSQL geometric value's text as compared: its numbers, each spelled one way.
pub fn normalise_pg(text: &str) -> String {
    match numbers(text) {
        Ok(n) => n
            .iter()
            .map(|x| format!("{x:e}"))
            .collect::<Vec<_>>()
            .join(","),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_and_ewkb_carry_the_srid_both_ways() {
        // POINT(1 2) with SRID 4326 in MySQL's format.
        let my = "E61000000101000000000000000000F03F0000000000000040";
        let e = mysql_to_ewkb(my).unwrap();
        assert_eq!(e, "0101000020E6100000000000000000F03F0000000000000040");
        assert_eq!(ewkb_to_mysql(&e).unwrap(), my);
        // SRID 0: plain WKB.
        let my0 = "000000000101000000000000000000F03F0000000000000040";
        assert_eq!(
            mysql_to_ewkb(my0).unwrap(),
            "0101000000000000000000F03F0000000000000040"
        );
        assert!(
            ewkb_to_mysql("01E9030000000000000000F03F00000000000000400000000000000840").is_err()
        );
        assert!(
            ewkb_to_mysql("01é0").is_err(),
            "not hex: an error, no panic"
        );
        assert!(mysql_to_ewkb("0000").is_err(), "cut short");
    }

    #[test]
    fn postgres_geometric_types_as_wkb_and_back() {
        let p = pg_to_wkb("(1.5,-2)", PgGeo::Point).unwrap();
        assert_eq!(wkb_to_pg(&p, PgGeo::Point).unwrap(), "(1.5,-2)");
        let poly = pg_to_wkb("((0,0),(4,0),(4,3))", PgGeo::Polygon).unwrap();
        assert_eq!(
            wkb_to_pg(&poly, PgGeo::Polygon).unwrap(),
            "((0,0),(4,0),(4,3))"
        );
        let b = pg_to_wkb("(2,2),(0,0)", PgGeo::Box).unwrap();
        assert_eq!(wkb_to_pg(&b, PgGeo::Box).unwrap(), "(2,2),(0,0)");
        assert!(wkb_to_pg(&poly, PgGeo::Box).is_err());
        let closed = pg_to_wkb("((0,0),(1,1),(2,0))", PgGeo::Path).unwrap();
        assert_eq!(
            wkb_to_pg(&closed, PgGeo::Path).unwrap(),
            "((0,0),(1,1),(2,0))"
        );
        let open = pg_to_wkb("[(0,0),(1,1)]", PgGeo::Lseg).unwrap();
        assert_eq!(wkb_to_pg(&open, PgGeo::Lseg).unwrap(), "[(0,0),(1,1)]");
        assert!(pg_to_wkb("<(0,0),1>", PgGeo::Circle).is_err());
        assert!(wkb_to_pg(&p, PgGeo::Polygon).is_err());
    }
}
