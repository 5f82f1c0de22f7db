# shellcheck shell=bash
# Sourced by the benchmarks: builds the release binary, starts one node on a fresh SQLite data
# dir with the given environment, waits for it, signs up the benchmark account, and stops the
# node on exit. Sets: base, token, rps(), p99().
# Usage (from a benchmark): start_node PORT [VAR=VALUE ...]
# APUS_BENCH_SCRATCH names another build folder for the release build (so a debug build in
# .build can go on beside it); APUS_BENCH_BIN names a binary to use instead of building one.
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }

start_node() {
    local port=$1
    shift
    local bin
    if [[ -n "${APUS_BENCH_BIN:-}" ]]; then
        # A binary built elsewhere (a debug build measures the code, not its best speed).
        bin=$APUS_BENCH_BIN
    else
        swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --product apus >/dev/null
        bin=$(swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --show-bin-path)/apus
    fi
    data=$(mktemp -d)
    base="http://127.0.0.1:$port"
    env APUS_DATA_DIR="$data" APUS_PORT="$port" APUS_LOG_LEVEL=warning "$@" "$bin" serve >"$data/server.log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
    for _ in $(seq 50); do curl -sf "$base/health/live" >/dev/null && break; sleep 0.1; done
    curl -sf -X POST "$base/v1/auth/register" -H 'Content-Type: application/json' \
        -d '{"email":"bench@example.com","password":"benchmark password"}' >/dev/null
    # shellcheck disable=SC2034 # read by the benchmarks that source this file
    token=$(curl -sf -X POST "$base/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"bench@example.com","password":"benchmark password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}

rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }
