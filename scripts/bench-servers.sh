# Sourced by the benchmarks that need replication: a private MariaDB (row binary log) and a
# private PostgreSQL (wal_level=logical) with their default durability, in a temporary folder
# removed on exit (with a Tugboat started as $tug). Gives $dir, $myp, $pgp and the shell
# functions my (mariadb as root) and pg (psql as postgres). $name: the folder's name part.
dir=$(mktemp -d "/tmp/tugboat-${name:-bench}.XXXXXX")
chmod 1777 "$dir"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
myp=$(free_port)
pgp=$(free_port)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "${tug:-}" ] && kill "$tug" 2>/dev/null || true
  [ -f "$dir/my.pid" ] && kill "$(cat "$dir/my.pid")" 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null 2>&1 || true
  sleep 1
  rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/my" "$dir/pg"
[ "$(id -u)" = 0 ] && chown mysql "$dir/my" && chown postgres "$dir/pg"
myuser=$([ "$(id -u)" = 0 ] && echo --user=mysql || true)
mariadb-install-db --no-defaults --datadir="$dir/my" $myuser --auth-root-authentication-method=normal >/dev/null
mariadbd --no-defaults --datadir="$dir/my" --port="$myp" --bind-address=127.0.0.1 --socket="$dir/my.sock" \
  --pid-file="$dir/my.pid" $myuser --log-bin="$dir/my/binlog" --binlog-format=ROW --binlog-row-image=FULL \
  --server-id=1 --innodb-buffer-pool-size=512M --log-error="$dir/my.err" &
as_pg "$pgbin/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -o "-p $pgp -k /tmp -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_wal_size=4GB" start >/dev/null
for _ in $(seq 60); do mariadb -h127.0.0.1 -P"$myp" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
my() { mariadb -h127.0.0.1 -P"$myp" -uroot -N "$@"; }
pg() { psql -q -X -h 127.0.0.1 -p "$pgp" -U postgres -At "$@"; }
