#!/usr/bin/env bash
# Job queue benchmark: no-op jobs per second through one node's worker (claims and completions
# in batches), on SQLite and on PostgreSQL, at two concurrency settings and with a larger
# backlog. PostgreSQL comes from APUS_DATABASE_URL or, when unset, a throwaway cluster started
# with pg_virtualenv (as root).
# Usage: bench/jobs.sh [jobs per run, default 20000]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-20000}
swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --product apus >/dev/null
bin=$(swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --show-bin-path)/apus
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
run() {
    for concurrency in 50 200; do
        APUS_LOG_LEVEL=error APUS_JOBS_CONCURRENCY=$concurrency "$@" "$bin" jobs bench --jobs "$jobs"
    done
    # A three times larger backlog drains at the same rate: claims do not slow as it grows.
    APUS_LOG_LEVEL=error APUS_JOBS_CONCURRENCY=50 "$@" "$bin" jobs bench --jobs $((jobs * 3))
}
run env -u APUS_DATABASE_URL APUS_DATA_DIR="$data"
if [ -n "${APUS_DATABASE_URL:-}" ]; then
    run env
else
    export -f run
    export bin jobs
    # shellcheck disable=SC2016 # the inner shell expands these, with the cluster's PG* variables
    pg_virtualenv bash -c 'APUS_DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:${PGPORT:-5432}/$PGDATABASE?sslmode=disable" run env'
fi
