#!/usr/bin/env bash
# Event pipeline benchmark: events per second from commit to every consumer through one node's
# dispatcher, with 1 and with 4 consumers, on SQLite and on PostgreSQL. PostgreSQL comes from
# APUS_DATABASE_URL or, when unset, a throwaway cluster started with pg_virtualenv (as root).
# Usage: bench/events.sh [events per run, default 20000]. APUS_BENCH_BIN names a binary to use
# instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-20000}
if [[ -n "${APUS_BENCH_BIN:-}" ]]; then
    # A binary built elsewhere (comparing two versions).
    bin=$APUS_BENCH_BIN
else
    swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --product apus >/dev/null
    bin=$(swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --show-bin-path)/apus
fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
run() {
    for consumers in 1 4; do
        APUS_LOG_LEVEL=error "$@" "$bin" events bench --events "$events" --consumers "$consumers"
    done
}
run env -u APUS_DATABASE_URL APUS_DATA_DIR="$data"
if [ -n "${APUS_DATABASE_URL:-}" ]; then
    run env
else
    export -f run
    export bin events
    # shellcheck disable=SC2016 # the inner shell expands these, with the cluster's PG* variables
    pg_virtualenv -t bash -c 'APUS_DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:${PGPORT:-5432}/$PGDATABASE?sslmode=disable" run env'
fi
