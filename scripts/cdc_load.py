#!/usr/bin/env python3
"""Write load for scripts/bench-cdc: row changes on table bench.events of a MariaDB/MySQL or
PostgreSQL source, each changed row stamped with t0 = the source's clock at the change.

  cdc_load.py URL setup ROWS            create bench.events with ROWS rows
  cdc_load.py URL steady RATE SECS      RATE row changes/s for SECS s, in transactions of 50
                                        (40 % inserts, 40 % updates, 20 % deletes)
  cdc_load.py URL backlog CHANGES       CHANGES row changes as fast as possible, in transactions
                                        of 1,000 (half inserts, 3/10 updates, 1/5 deletes)
  cdc_load.py URL app RATE STOPFILE     an application: RATE row changes/s in transactions of 10
                                        until STOPFILE exists; a refused transaction (the
                                        database made read-only, the session ended) is counted
                                        and tried again 10 ms later on a new connection

URL: mysql://user@host:port/db or postgres://user@host:port/db. Prints one JSON line with what
it did (changes, seconds, achieved rate).
"""
import json
import random
import sys
import time
from urllib.parse import urlparse


def connect(url):
    u = urlparse(url)
    if u.scheme.startswith("mysql") or u.scheme.startswith("mariadb"):
        import pymysql

        c = pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                            password=u.password or "", database=u.path.lstrip("/") or None,
                            autocommit=True)
        with c.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
        return c, "my"
    import psycopg

    c = psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                        password=u.password or None, dbname=u.path.lstrip("/") or "postgres",
                        autocommit=True)
    c.execute("SET TimeZone = 'UTC'")
    return c, "pg"


def run(c, kind, sql):
    if kind == "my":
        with c.cursor() as cur:
            cur.execute(sql)
            return cur.rowcount
    return c.execute(sql).rowcount


def now(kind):
    return "NOW(6)" if kind == "my" else "clock_timestamp()::timestamp"


class Ids:
    """Ids of live rows: next new id, and a sample to update and delete from."""

    def __init__(self, c, kind):
        lo_hi = None
        if kind == "my":
            with c.cursor() as cur:
                cur.execute("SELECT MIN(id), MAX(id) FROM bench.events")
                lo_hi = cur.fetchone()
        else:
            lo_hi = c.execute("SELECT min(id), max(id) FROM bench.events").fetchone()
        self.lo, self.next = (lo_hi[0] or 1), (lo_hi[1] or 0) + 1

    def new(self, n):
        ids = list(range(self.next, self.next + n))
        self.next += n
        return ids

    def old(self, n):
        # The oldest rows: deletes take them from the front, updates anywhere behind.
        ids = list(range(self.lo, self.lo + n))
        self.lo += n
        return ids

    def some(self, n):
        return random.sample(range(self.lo, self.next), min(n, self.next - self.lo))


def txn(c, kind, ids, ins, upd, dele):
    stamp = now(kind)
    stmts = []
    if ins:
        vals = ", ".join(f"({i}, {i % 1000}, 'row {i} {'x' * 20}', {stamp})" for i in ids.new(ins))
        stmts.append(f"INSERT INTO bench.events (id, k, v, t0) VALUES {vals}")
    if dele:
        stmts.append(f"DELETE FROM bench.events WHERE id IN ({', '.join(map(str, ids.old(dele)))})")
    if upd:
        some = ids.some(upd)
        stmts.append(f"UPDATE bench.events SET k = k + 1, t0 = {stamp} WHERE id IN ({', '.join(map(str, some))})")
    begin = "START TRANSACTION" if kind == "my" else "BEGIN"
    n = 0
    run(c, kind, begin)
    for s in stmts:
        n += run(c, kind, s)
    run(c, kind, "COMMIT")
    return n


def main():
    url, mode = sys.argv[1], sys.argv[2]
    c, kind = connect(url)
    if mode == "setup":
        rows = int(sys.argv[3])
        run(c, kind, "DROP TABLE IF EXISTS bench.events")
        run(c, kind, "CREATE TABLE bench.events (id bigint PRIMARY KEY, k int NOT NULL, v varchar(60) NOT NULL, t0 "
            + ("datetime(6)" if kind == "my" else "timestamp(6)") + " NOT NULL)")
        done = 0
        ids = Ids(c, kind)
        while done < rows:
            n = min(10_000, rows - done)
            txn(c, kind, ids, n, 0, 0)
            done += n
        print(json.dumps({"rows": rows}))
        return
    ids = Ids(c, kind)
    started = time.time()
    changes = 0
    if mode == "steady":
        rate, secs = int(sys.argv[3]), float(sys.argv[4])
        per = 50
        interval = per / rate
        tick = started
        while time.time() - started < secs:
            changes += txn(c, kind, ids, 20, 20, 10)
            tick += interval
            pause = tick - time.time()
            if pause > 0:
                time.sleep(pause)
    elif mode == "bigtxn":
        # One source transaction of `target` inserts, in statements of 5,000 rows.
        target = int(sys.argv[3])
        run(c, kind, "START TRANSACTION" if kind == "my" else "BEGIN")
        stamp = now(kind)
        while changes < target:
            n = min(5_000, target - changes)
            vals = ", ".join(f"({i}, {i % 1000}, 'big {i} {'x' * 20}', {stamp})" for i in ids.new(n))
            changes += run(c, kind, f"INSERT INTO bench.events (id, k, v, t0) VALUES {vals}")
        run(c, kind, "COMMIT")
    elif mode == "app":
        rate, stopfile = int(sys.argv[3]), sys.argv[4]
        import os

        interval = 10 / rate
        tick = started
        refused = 0
        last_ok = first_refused = None
        while not os.path.exists(stopfile):
            try:
                changes += txn(c, kind, ids, 4, 4, 2)
                last_ok = time.time()
            except Exception:
                refused += 1
                first_refused = first_refused or time.time()
                time.sleep(0.01)
                try:
                    c.close()
                except Exception:
                    pass
                try:
                    c, kind = connect(url)
                except Exception:
                    pass
                continue
            tick += interval
            pause = tick - time.time()
            if pause > 0:
                time.sleep(pause)
        secs = time.time() - started
        print(json.dumps({"changes": changes, "seconds": round(secs, 2), "refused": refused,
                          "first_refused": first_refused, "last_ok": last_ok}))
        return
    elif mode == "backlog":
        target = int(sys.argv[3])
        while changes < target:
            changes += txn(c, kind, ids, 500, 300, 200)
    secs = time.time() - started
    print(json.dumps({"changes": changes, "seconds": round(secs, 2), "rate": round(changes / secs)}))


if __name__ == "__main__":
    main()
