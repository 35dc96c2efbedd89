#!/usr/bin/env python3
"""Compares a Parquet lake Tugboat wrote with its source database, row for row, as a user of the
lake would read it: every table folder's files through DuckDB, the source table through its own
client (PyMySQL or psycopg). DuckDB reads decimals of at most 38 digits: columns of more
(decimal256) are read with pyarrow, the files in the same order. Values are compared as Python values (a decimal as a Decimal, a
timestamp as a datetime in UTC, a float32 as float32...), the rows as multisets (order is not
kept by a lake). A table with change files (CDC*.parquet) is compared as its load's rows with
the changes applied by key in `_seq` order; a `_seq` found twice (a change written twice) is a
difference. Prints one line per table; exits 1 on any difference, naming the table and the
first rows that differ.

Usage: lake_compare.py SOURCE_URL LAKE_FOLDER [schema.table ...]  (the tables to compare;
default: every table folder of the lake)."""

import collections
import datetime
import decimal
import glob
import json
import math
import os
import struct
import sys
import urllib.parse

import duckdb

decimal.getcontext().prec = 200


def connect(url):
    u = urllib.parse.urlparse(url)
    user, password = urllib.parse.unquote(u.username or ""), urllib.parse.unquote(u.password or "")
    db = u.path.lstrip("/")
    if u.scheme in ("mysql", "mariadb"):
        import pymysql

        c = pymysql.connect(host=u.hostname, port=u.port or 3306, user=user, password=password,
                            database=db, charset="utf8mb4", init_command="SET time_zone = '+00:00'")
        return "mysql", c
    import psycopg

    c = psycopg.connect(host=u.hostname, port=u.port or 5432, user=user, password=password,
                        dbname=db, options="-c TimeZone=UTC")
    return "postgres", c


SPATIAL = ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
           "multipolygon", "geometrycollection", "geomcollection")


def mysql_to_ewkb(b):
    """MySQL's internal geometry (SRID, then WKB) as EWKB, as Tugboat writes it."""
    srid = struct.unpack("<I", b[:4])[0]
    wkb = b[4:]
    if srid == 0:
        return wkb
    order = "<" if wkb[0] == 1 else ">"
    kind = struct.unpack(order + "I", wkb[1:5])[0] | 0x20000000
    return wkb[:1] + struct.pack(order + "I", kind) + struct.pack(order + "I", srid) + wkb[5:]


def norm(v, arrow, source_type, engine):
    if v is None:
        return None
    if isinstance(v, str) and v.startswith("0000-00-00") and arrow != "utf8":
        return None  # a MySQL zero date: NULL by the task's policy
    if arrow.startswith("int") or arrow.startswith("uint"):
        if isinstance(v, (bytes, bytearray)):
            return int.from_bytes(v, "big")  # MySQL BIT
        return int(v)
    if arrow == "float32":
        f = struct.unpack("f", struct.pack("f", float(v)))[0]
        return "NaN" if math.isnan(f) else f
    if arrow == "float64":
        return "NaN" if math.isnan(float(v)) else float(v)
    if arrow.startswith("decimal"):
        return format(decimal.Decimal(v).normalize(), "f")
    if arrow == "bool":
        return bool(v)
    if arrow == "binary":
        b = bytes(v)
        if engine == "mysql" and source_type.split("(")[0].lower() in SPATIAL:
            b = mysql_to_ewkb(b)
        return b
    if arrow == "timestamp(us, UTC)":
        if isinstance(v, datetime.datetime) and v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat()
    if arrow in ("date32", "timestamp(us)", "time64(us)"):
        return v.isoformat()
    return str(v)


def source_expr(engine, col):
    name, arrow, st = col["name"], col["arrow_type"], col["source_type"].lower()
    if engine == "mysql":
        q = "`" + name.replace("`", "``") + "`"
        return f"CAST({q} AS CHAR)" if arrow == "utf8" else q
    q = '"' + name.replace('"', '""') + '"'
    if arrow == "utf8":
        return f"array_to_json({q})::text" if st.endswith("]") else f"{q}::text"
    return q


def source_table(engine, name):
    schema, table = name.split(".", 1)
    if engine == "mysql":
        return f"`{table}`"
    return '"' + schema + '"."' + table + '"'


SEQS = []


def read(duck, files, cols, extra):
    """The rows of `files` (columns `extra`, then the table's: NULL where a file lacks one),
    in file order then row order; decimal256 columns read exactly with pyarrow."""
    have = {r[0] for r in duck.execute(
        "DESCRIBE SELECT * FROM read_parquet(?, union_by_name = true)", [files]).fetchall()}
    sel = ['"' + e + '"' for e in extra]
    for c in cols:
        q = '"' + c["name"].replace('"', '""') + '"'
        if c["name"] not in have:
            q = "NULL"
        sel.append(f"CAST({q} AS TIMESTAMP)" if c["arrow_type"] == "timestamp(us, UTC)" else q)
    order = " ORDER BY _seq" if "_seq" in extra else ""
    rows = duck.execute("SELECT " + ", ".join(sel) + " FROM read_parquet(?, union_by_name = true)"
                        + order, [files]).fetchall()
    wide = [len(extra) + i for i, c in enumerate(cols) if c["arrow_type"].startswith("decimal256")]
    if wide and not extra:
        import pyarrow.parquet as pq

        exact = pq.read_table(files, columns=[cols[i]["name"] for i in wide]).to_pylist()
        assert len(exact) == len(rows)
        rows = [tuple(exact[n][cols[i]["name"]] if i in wide else v for i, v in enumerate(r))
                for n, r in enumerate(rows)]
    return rows


def compare(engine, conn, duck, folder):
    with open(os.path.join(folder, "_schema.json")) as f:
        schema = json.load(f)
    cols = schema["columns"]
    cur = conn.cursor()
    cur.execute("SELECT " + ", ".join(source_expr(engine, c) for c in cols) + " FROM "
                + source_table(engine, schema["source"]))
    src = [tuple(norm(v, c["arrow_type"], c["source_type"], engine) for v, c in zip(r, cols))
           for r in cur.fetchall()]
    load = sorted(glob.glob(os.path.join(folder, "LOAD*.parquet")))
    cdc = sorted(glob.glob(os.path.join(folder, "CDC*.parquet")))
    if not load and not cdc:
        return schema["source"], len(src), 0, ["no Parquet file"] if src else []
    rows = read(duck, load, cols, []) if load else []
    if cdc:
        # The changes applied by key in _seq order over the load's rows.
        names = [c["name"] for c in cols]
        key = [names.index(k) for k in schema["primary_key"]] or list(range(len(cols)))
        state = {}
        for r in rows:
            state.setdefault(tuple(r[i] for i in key), []).append(r)
        changes = read(duck, cdc, cols, ["Op", "_seq"])
        seqs = [ch[1] for ch in changes]
        SEQS.extend(seqs)
        for ch in changes:
            op, r = ch[0], ch[2:]
            k = tuple(r[i] for i in key)
            if op == "D":
                state.pop(k, None)
            else:
                state[k] = [r]
        rows = [r for rs in state.values() for r in rs]
    lake = [tuple(norm(v, c["arrow_type"], c["source_type"], "lake") for v, c in zip(r, cols))
            for r in rows]
    src.sort(key=repr)
    lake.sort(key=repr)
    diffs = []
    if src != lake:
        cs, cl = collections.Counter(src), collections.Counter(lake)
        s_only = sorted((cs - cl).elements(), key=repr)[:3]
        l_only = sorted((cl - cs).elements(), key=repr)[:3]
        diffs = [f"source only: {r!r}" for r in s_only] + [f"lake only: {r!r}" for r in l_only]
        if not diffs:
            diffs = ["the same rows, not as many times"]
    return schema["source"], len(src), len(lake), diffs


def main():
    url, lake = sys.argv[1], sys.argv[2]
    wanted = set(sys.argv[3:])
    engine, conn = connect(url)
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    bad = 0
    folders = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(lake, "*", "*", "_schema.json")))
    for folder in folders:
        name, n_src, n_lake, diffs = compare(engine, conn, duck, folder)
        if wanted and name not in wanted:
            continue
        print(f"{name}: source {n_src} rows, lake {n_lake} rows, " + ("equal" if not diffs else "DIFFERENT"))
        for d in diffs:
            print("  " + d)
        bad += bool(diffs)
    if not folders:
        print("no table folder in " + lake)
        bad = 1
    if SEQS:
        repeated = len(SEQS) - len(set(SEQS))
        print(f"changes: {len(SEQS)}, {repeated} repeated")
        bad += repeated > 0
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
