#!/usr/bin/env bash
# Baseline for the Parquet target: every TPC-H table streamed at once from MariaDB into a Parquet
# file by DuckDB through a plain shell pipe (mariadb --batch | DuckDB read_csv from stdin, COPY TO
# parquet, snappy): the same data into the same format with nothing else done (no state, no
# validation). Types are DuckDB's sniffed ones from the text.
# SOURCE=pg: from the PostgreSQL database tpch_src instead (psql \copy ... to stdout, text
# format: tab-separated, no header).
# Usage: [SOURCE=pg] scripts/baseline-pipe-parquet.sh OUT_DIR   (needs python3 with duckdb: target/test-python)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/../shared/bench/env.sh"
out=${1:?output folder}
py=python3
[ -x "$here/target/test-python/bin/python3" ] && py="$here/target/test-python/bin/python3"
rm -rf "$out" && mkdir -p "$out"
header=true
[ "${SOURCE:-my}" = pg ] && header=false
read_rows() { # read_rows TABLE: its rows as tab-separated text
  if [ "${SOURCE:-my}" = pg ]; then
    pg -d tpch_src -c "\\copy (SELECT * FROM $1) to stdout"
  else
    my --batch --quick "$MY_DB" -e "SELECT * FROM $1"
  fi
}
for t in $TABLES; do
  (read_rows "$t" | "$py" -c "
import duckdb, sys
duckdb.sql(\"COPY (SELECT * FROM read_csv('/dev/stdin', delim='\t', header=$header, quote='')) TO '$out/$t.parquet' (FORMAT parquet, COMPRESSION snappy)\")
") &
done
wait
