#!/usr/bin/env bash
# Installs what building and testing Tugboat needs on Debian/Ubuntu, skipping what is there:
# a Rust toolchain (rustup), a C compiler (bundled SQLite), PostgreSQL and MariaDB servers and
# clients (the tests start private instances of them), sqlite3, and the X11/GL runtime libraries
# the window needs, and Python with DuckDB, pyarrow, PyMySQL and psycopg (the Parquet target's tests
# read its files with DuckDB and the sources with those), in target/test-python unless python3 has
# them already. Usage: scripts/setup-debian.sh [--gui]
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
want() { for p in "$@"; do have_pkg "$p" || need+=("$p"); done; }

want build-essential pkg-config ca-certificates curl sqlite3
py_ok() { "$1" -c 'import duckdb, pyarrow, pymysql, psycopg' >/dev/null 2>&1; }
if ! py_ok python3 && ! py_ok target/test-python/bin/python3; then want python3 python3-venv; fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then want postgresql postgresql-client; fi
if ! command -v mariadbd >/dev/null 2>&1 && ! command -v mysqld >/dev/null 2>&1; then want mariadb-server mariadb-client; fi
if [ "${1:-}" = "--gui" ]; then want libgl1 libegl1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1 zenity; fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    :
  else
    echo "installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
  fi
fi

if ! py_ok python3 && ! py_ok target/test-python/bin/python3; then
  echo "installing DuckDB, pyarrow, PyMySQL and psycopg into target/test-python"
  python3 -m venv target/test-python
  target/test-python/bin/pip install -q duckdb pyarrow pymysql 'psycopg[binary]'
fi
