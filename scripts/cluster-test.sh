#!/usr/bin/env bash
# The cluster conformance stage: starts a whole local cluster (scripts/cluster.sh up) in a
# temporary directory, runs conformance/cluster against it with pytest, and always takes it down
# again (down --clean). Exits with pytest's status.
#
#   APUS_BIN           the binary to run (default .build/debug/apus, as CI builds it)
#   APUS_DRILL_BIN     the binary conformance/cluster/test_release_drill.py deploys release after
#                      release (default apus-release-drill beside APUS_BIN, as CI builds it)
#   APUS_CLUSTER_DIR   where the cluster lives (default a new directory under /tmp, which the
#                      postgres user can reach); removed at the end either way
#
# The cluster gets settings that keep the tests quick (bcrypt at its lowest cost, a sign-up limit
# the tests do not reach) and lets webhooks reach the tests' receiver on loopback. Its ports are
# a block free at the start, below the ephemeral range (the earlier stages leave clients and
# servers on ports of their own), unless APUS_CLUSTER_PORT is set. On failure the nodes' logs
# are printed before the cluster goes.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

APUS_BIN=${APUS_BIN:-$root/.build/debug/apus}
case $APUS_BIN in /*) ;; *) APUS_BIN=$root/$APUS_BIN ;; esac
[ -x "$APUS_BIN" ] || { echo "cluster-test: $APUS_BIN is not an executable: build it first (swift build)" >&2; exit 1; }
APUS_DRILL_BIN=${APUS_DRILL_BIN:-$(dirname "$APUS_BIN")/apus-release-drill}
[ -x "$APUS_DRILL_BIN" ] || { echo "cluster-test: $APUS_DRILL_BIN is not an executable: build it first (swift build)" >&2; exit 1; }
[ -x "$root/.venv/bin/pytest" ] || { echo "cluster-test: no .venv/bin/pytest: pip install -r conformance/requirements.txt into .venv" >&2; exit 1; }

if [ -z "${APUS_CLUSTER_DIR:-}" ]; then
    APUS_CLUSTER_DIR=$(mktemp -d /tmp/apus-cluster-test.XXXXXX)
    # mktemp makes it 700; the postgres user has to reach the PostgreSQL directories inside.
    chmod 755 "$APUS_CLUSTER_DIR"
fi
export APUS_BIN APUS_DRILL_BIN APUS_CLUSTER_DIR

if [ -z "${APUS_CLUSTER_PORT:-}" ]; then
    # Eight free ports in a row: the balancer, four nodes, the primary, the replica and moto.
    first=$(python3 -c '
import random, socket
for _ in range(200):
    base = random.randrange(20000, 32000 - 8)
    try:
        for port in range(base, base + 8):
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(base)
    break
')
    [ -n "$first" ] || { echo "cluster-test: no eight free ports in a row below 32000" >&2; exit 1; }
    export APUS_CLUSTER_PORT=$first APUS_CLUSTER_NODE_PORT=$((first + 1)) APUS_CLUSTER_PG_PORT=$((first + 5))
    export APUS_CLUSTER_REPLICA_PORT=$((first + 6)) APUS_CLUSTER_S3_PORT=$((first + 7))
fi
export APUS_BCRYPT_COST=${APUS_BCRYPT_COST:-4}
export APUS_RATE_LIMIT_AUTH=${APUS_RATE_LIMIT_AUTH:-1000/60}
export APUS_EGRESS_ALLOW=${APUS_EGRESS_ALLOW:-127.0.0.1}

status=1
finish() {
    if [ "$status" -ne 0 ] && [ -d "$APUS_CLUSTER_DIR/logs" ]; then
        # What went wrong on the nodes: crashes, errors and warnings (the logs go with the cluster).
        for log in "$APUS_CLUSTER_DIR"/logs/node*.log "$APUS_CLUSTER_DIR"/logs/links1.log; do
            [ -f "$log" ] || continue
            printf '\n== %s: fatal errors, errors and warnings (the last 15)\n' "$log" >&2
            grep -E 'Fatal error|"level":"(warning|error|critical)"' "$log" | tail -n 15 | cut -c 1-400 >&2 || true
        done
    fi
    printf '\n== taking the cluster down\n' >&2
    scripts/cluster.sh down --clean || true
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

printf '== starting the cluster in %s\n' "$APUS_CLUSTER_DIR" >&2
scripts/cluster.sh up

printf '\n== conformance/cluster\n' >&2
set +e
"$root/.venv/bin/pytest" -q -p no:cacheprovider -rA --durations=10 conformance/cluster "$@"
status=$?
set -e
