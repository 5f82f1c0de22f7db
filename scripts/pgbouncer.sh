#!/usr/bin/env bash
# Starts Debian's PgBouncer in transaction mode in front of the PostgreSQL server the PG*
# variables name, for every database on it, and prints its URL (without a database).
#
#   scripts/pgbouncer.sh start DIR PORT
#   scripts/pgbouncer.sh stop DIR
#
# As root, PgBouncer runs as the postgres user, which must be able to reach DIR.
set -euo pipefail

die() { printf 'pgbouncer: %s\n' "$*" >&2; exit 1; }

command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || die "PgBouncer is not installed (apt-get install pgbouncer)"
PATH=$PATH:/usr/sbin

start() {
    local dir=$1 port=$2
    local host=${PGHOST:-127.0.0.1}
    case $host in /*) host=127.0.0.1 ;; esac
    [ -e "$dir" ] && die "$dir exists"
    mkdir -p "$dir"
    local user=${PGUSER:-postgres}
    # The server's password, for PgBouncer's own connections to it; clients connect on
    # loopback without one.
    printf '"%s" "%s"\n' "$user" "${PGPASSWORD:-}" >"$dir/userlist.txt"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$host port=${PGPORT:-5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 4000
default_pool_size = 10
max_db_connections = 20
; Every test makes a database of its own: idle server connections and pools go quickly, or
; they would hold the server's connection slots.
server_idle_timeout = 5
autodb_idle_timeout = 10
server_reset_query =
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    chmod 600 "$dir/userlist.txt"
    local started=0
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres: "$dir"
        runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini" || started=$?
    else
        pgbouncer -d "$dir/pgbouncer.ini" || started=$?
    fi
    [ "$started" = 0 ] || { tail -n 20 "$dir/pgbouncer.log" >&2 2>/dev/null; die "PgBouncer did not start"; }
    for _ in $(seq 50); do
        [ -f "$dir/pgbouncer.pid" ] && break
        sleep 0.1
    done
    [ -f "$dir/pgbouncer.pid" ] || { tail -n 20 "$dir/pgbouncer.log" >&2; die "PgBouncer did not start"; }
    printf 'postgres://%s@127.0.0.1:%s?sslmode=disable\n' "$user" "$port"
}

stop() {
    if [ -f "$1/pgbouncer.pid" ]; then kill "$(cat "$1/pgbouncer.pid")" 2>/dev/null || true; fi
    rm -rf "$1"
}

case ${1:-} in
    start) [ $# = 3 ] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
    stop) [ $# = 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR PORT | stop DIR" ;;
esac
