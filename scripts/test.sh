#!/usr/bin/env bash
# Runs every test on a fresh machine: builds, starts a throwaway PostgreSQL, runs the Swift
# tests on SQLite and PostgreSQL, then drives the built server with real clients (pytest,
# schemathesis). Installs what it needs (PostgreSQL from Debian, Python clients from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n== %s\n' "$*"; }

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v pg_virtualenv >/dev/null; then
    log "installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql postgresql-common >/dev/null
fi

# PgBouncer (Debian's, in transaction mode) fronts the PostgreSQL half of the conformance suite
# once more.
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
    log "installing PgBouncer"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq pgbouncer >/dev/null
fi

# rsyslog with its Elasticsearch output ships log lines to the logs module's bulk API.
if ! command -v rsyslogd >/dev/null || ! ls /usr/lib/*/rsyslog/omelasticsearch.so >/dev/null 2>&1; then
    log "installing rsyslog"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq rsyslog rsyslog-elasticsearch >/dev/null
fi

log "preparing the conformance clients"
if [ ! -x .venv/bin/pytest ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r conformance/requirements.txt

log "linting the deployment files"
scripts/lint-deploy.sh

log "building"
swift build --build-tests

# pg_virtualenv starts a throwaway cluster, exports PG* for it, runs the command and drops it.
# The Swift tests run in parallel, each with a pool of its own: 100 connections are not enough.
# Its streaming replica serves the read-replica tests.
log "testing against a throwaway PostgreSQL"
# shellcheck disable=SC2016 # the inner shell expands these, with the cluster's PG* variables
pg_virtualenv -o 'max_connections=400' bash -euo pipefail -c '
    url="postgres://$PGUSER:$PGPASSWORD@$PGHOST:${PGPORT:-5432}/$PGDATABASE?sslmode=disable"
    export APUS_TEST_POSTGRES_URL="$url"
    replica_dir=/tmp/apus-test-replica-$$
    bouncer_dir=/tmp/apus-test-pgbouncer-$$
    trap "\"'"$root"'/scripts/pg-replica.sh\" stop \"$replica_dir\"; \"'"$root"'/scripts/pgbouncer.sh\" stop \"$bouncer_dir\"" EXIT
    # The read-replica tests run first, beside a streaming replica of the still small cluster,
    # which then stops: replaying the rest of the suite would only load the machine.
    replica_tests="ReadReplicaTests|ReadYourWritesTests"
    printf "\n== Swift read-replica tests, with a streaming replica\n"
    APUS_TEST_POSTGRES_REPLICA_URL=$("'"$root"'/scripts/pg-replica.sh" start "$replica_dir" $(( ${PGPORT:-5432} + 1000 )))
    APUS_TEST_POSTGRES_REPLICA_URL=$APUS_TEST_POSTGRES_REPLICA_URL "'"$root"'/scripts/swift-test.sh" --skip-build --filter "$replica_tests"
    "'"$root"'/scripts/pg-replica.sh" stop "$replica_dir"
    printf "\n== Swift tests (SQLite and PostgreSQL)\n"
    "'"$root"'/scripts/swift-test.sh" --skip-build --skip "$replica_tests"
    printf "\n== conformance: the running server with real clients\n"
    APUS_BIN="'"$root"'/.build/debug/apus" "'"$root"'/.venv/bin/pytest" -q -p no:cacheprovider "'"$root"'/conformance"
    # Without the fuzzer, the model fits, the 90 s kill -9 burst and the socket memory bound,
    # which the first pass ran and which touch nothing a pooler changes.
    printf "\n== conformance through PgBouncer in transaction mode (the PostgreSQL half)\n"
    APUS_TEST_PGBOUNCER_URL=$("'"$root"'/scripts/pgbouncer.sh" start "$bouncer_dir" $(( ${PGPORT:-5432} + 1001 )))
    export APUS_TEST_PGBOUNCER_URL
    APUS_BIN="'"$root"'/.build/debug/apus" "'"$root"'/.venv/bin/pytest" -q -p no:cacheprovider "'"$root"'/conformance" \
        -k "postgres and not schemathesis and not recs and not kill_9_mid_burst and not never_reads"
'

# A whole cluster on loopback (scripts/cluster.sh: a PostgreSQL primary and its replica, moto,
# three nodes and a links-only one behind HAProxy), driven by conformance/cluster.
log "cluster conformance"
APUS_BIN="$root/.build/debug/apus" scripts/cluster-test.sh
