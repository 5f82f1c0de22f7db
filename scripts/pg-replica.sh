#!/usr/bin/env bash
# Starts a streaming replica of the PostgreSQL server the PG* variables name (pg_basebackup -R)
# and prints its URL; the Swift tests read through it (APUS_TEST_POSTGRES_REPLICA_URL).
#
#   scripts/pg-replica.sh start DIR PORT    copies the primary into DIR, starts it on PORT
#   scripts/pg-replica.sh stop DIR
#
# The primary's user must be allowed replication connections (a superuser is); as root, the
# PostgreSQL programs run as the postgres user.
set -euo pipefail

die() { printf 'pg-replica: %s\n' "$*" >&2; exit 1; }

bin=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname || true)
[ -n "$bin" ] || die "no PostgreSQL under /usr/lib/postgresql"

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- env PGPASSWORD="${PGPASSWORD:-}" "$@"
    else
        "$@"
    fi
}

start() {
    local dir=$1 port=$2
    local host=${PGHOST:-127.0.0.1}
    # A socket directory is not a host for the replica's primary_conninfo on another port.
    case $host in /*) host=127.0.0.1 ;; esac
    [ -e "$dir" ] && die "$dir exists"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    as_pg test -w "$dir" || die "the postgres user cannot reach $dir: choose a directory it can reach"
    # A standby needs at least the primary's connection and lock limits.
    local settings
    settings=$(as_pg "$bin/psql" -h "$host" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -d "${PGDATABASE:-postgres}" -X -A -t -v ON_ERROR_STOP=1 -c \
        "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')")
    as_pg "$bin/pg_basebackup" -h "$host" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -D "$dir/data" -R -X stream -c fast >/dev/null
    # Debian's clusters keep their configuration outside the data directory: write what a
    # standby needs.
    if [ ! -f "$dir/data/postgresql.conf" ]; then
        as_pg touch "$dir/data/postgresql.conf"
        as_pg sh -c "printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n' > '$dir/data/pg_hba.conf'"
    fi
    local options="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c hot_standby=on -c fsync=off"
    for setting in $settings; do options="$options -c $setting"; done
    as_pg "$bin/pg_ctl" -D "$dir/data" -o "$options" -l "$dir/log" -w -t 60 start >/dev/null ||
        { tail -n 20 "$dir/log" >&2; die "the replica did not start"; }
    local auth=${PGUSER:-postgres}
    [ -n "${PGPASSWORD:-}" ] && auth="$auth:$PGPASSWORD"
    printf 'postgres://%s@127.0.0.1:%s/%s?sslmode=disable\n' "$auth" "$port" "${PGDATABASE:-postgres}"
}

stop() {
    as_pg "$bin/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$1"
}

case ${1:-} in
    start) [ $# = 3 ] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
    stop) [ $# = 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR PORT | stop DIR" ;;
esac
