#!/usr/bin/env bash
# Cluster benchmark: the local cluster of scripts/cluster.sh (three full nodes and a links-only
# one behind HAProxy, a PostgreSQL primary and its replica) against one of its nodes direct.
#   1. redirects per minute through the balancer to all four nodes, through it to one node
#      (the others in maintenance: the balancer's own cost, without four nodes sharing the
#      cores), and direct, alternated, with p99 and the CPU every process of the cluster spent
#      per request;
#   2. GET /v1/auth/me likewise (a token check and a user from the node's cache);
#   3. a rolling restart of every node under that load: failed requests.
# Usage: bench/cluster.sh [seconds per phase, default 5] [rounds, default 3]. Needs wrk. Uses
# APUS_BENCH_BIN (default .build/release/apus) and its own cluster directory and ports, which
# it takes down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
bin=${APUS_BENCH_BIN:-.build/release/apus}
[ -x "$bin" ] || { echo "no $bin: swift build -c release --product apus, or set APUS_BENCH_BIN" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }

export APUS_CLUSTER_DIR=${APUS_CLUSTER_DIR:-/tmp/apus-bench-cluster}
export APUS_CLUSTER_PORT=18180 APUS_CLUSTER_NODE_PORT=18181 APUS_CLUSTER_PG_PORT=18432 APUS_CLUSTER_REPLICA_PORT=18433 APUS_CLUSTER_S3_PORT=18500
# One wrk connects from one address: lift the per-client limits; sign-in stays cheap.
export APUS_RATE_LIMIT_REDIRECT=1000000000/60 APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_RATE_LIMIT_AUTH=1000000/60 APUS_BCRYPT_COST=4
export APUS_LOG_LEVEL=warning
trap 'scripts/cluster.sh down --clean >/dev/null 2>&1 || true' EXIT
echo "== starting the cluster ($bin)"
APUS_BIN=$bin scripts/cluster.sh up >/dev/null
lb="http://127.0.0.1:$APUS_CLUSTER_PORT"
direct="http://127.0.0.1:$APUS_CLUSTER_NODE_PORT"
ticks=$(getconf CLK_TCK)
work=$(mktemp -d)

curl -sf -o /dev/null -X POST "$lb/v1/auth/register" -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"correct horse"}'
token=$(curl -sf -X POST "$lb/v1/auth/login" -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"correct horse"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
code=$(curl -sf -X POST "$lb/v1/links" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"url":"https://example.com/landing"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
ua="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"

# ticks PID: user + system ticks of a process and of its children still running (HAProxy's
# master and its worker).
ticks_of() {
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}
# balancer_cpu: HAProxy's ticks.
balancer_cpu() { ticks_of "$(head -n 1 "$APUS_CLUSTER_DIR/run/balancer.pid")"; }
# cluster_cpu: user + system ticks of every process of the cluster: nodes, balancer, moto, and
# each PostgreSQL server with its backends (the ones still running, and those it has reaped).
cluster_cpu() {
    local total=0 pid postmaster file
    for file in "$APUS_CLUSTER_DIR"/run/*.pid; do
        pid=$(head -n 1 "$file" 2>/dev/null || true)
        [ -n "$pid" ] && total=$((total + $(ticks_of "$pid")))
    done
    for postmaster in $(head -qn 1 "$APUS_CLUSTER_DIR"/pg/*/postmaster.pid 2>/dev/null); do
        [ -r "/proc/$postmaster/stat" ] && total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")))
        for pid in $(pgrep -P "$postmaster" || true); do
            [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
        done
    done
    echo "$total"
}
# measure URL [wrk args]: "req/s p99-ms cpu-µs-per-request failures balancer-cpu-µs-per-request"
# of one wrk run.
measure() {
    local url=$1 before after balancer_before balancer_after
    shift
    before=$(cluster_cpu)
    balancer_before=$(balancer_cpu)
    wrk -t1 -c64 -d"${seconds}s" --latency "$@" "$url" >"$work/wrk"
    after=$(cluster_cpu)
    balancer_after=$(balancer_cpu)
    awk -v cpu=$((after - before)) -v lb=$((balancer_after - balancer_before)) -v ticks="$ticks" '
        function ms(v, n) { n = v + 0; if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n; if (v ~ /s$/) return n * 1000; return n }
        /Requests\/sec/ { rate = $2 } / 99%/ { p99 = ms($2) } /requests in/ { n = $1 } /Non-2xx/ { bad += $NF }
        /Socket errors/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) bad += $i + 0 }
        END { printf "%.0f %.2f %.1f %d %.1f\n", rate, p99, cpu / ticks * 1e6 / n, bad, lb / ticks * 1e6 / n }' "$work/wrk"
}

# balancer COMMAND: one command on HAProxy's admin socket.
balancer() {
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
s.recv(65536)' "$APUS_CLUSTER_DIR/run/haproxy.sock" "$1"
}
# only_node1 on|off: the redirect backend's other servers into maintenance and back.
only_node1() {
    local state=ready server
    [ "$1" = on ] && state=maint
    for server in node2 node3 links1; do balancer "set server redirects/$server state $state"; done
}

declare -A runs
for round in $(seq "$rounds"); do
    for target in balancer one-node direct; do
        base=$lb
        [ "$target" = direct ] && base=$direct
        [ "$target" = one-node ] && only_node1 on
        echo "== round $round: redirects, $target"
        runs[redirect-$target]+="$(measure "$base/$code" -H "User-Agent: $ua")|"
        [ "$target" = one-node ] && { only_node1 off; continue; }
        echo "== round $round: /v1/auth/me, $target"
        runs[me-$target]+="$(measure "$base/v1/auth/me" -H "Authorization: Bearer $token")|"
    done
done

echo "== rolling restart under load (redirects and /v1/auth/me through the balancer)"
wrk -t1 -c16 -d600s -H "User-Agent: $ua" "$lb/$code" >"$work/restart-redirects" &
redirect_load=$!
wrk -t1 -c8 -d600s -H "Authorization: Bearer $token" "$lb/v1/auth/me" >"$work/restart-me" &
me_load=$!
sleep 2
started=$(date +%s)
APUS_BIN=$bin scripts/cluster.sh rolling-restart >/dev/null
restart_seconds=$(( $(date +%s) - started ))
sleep 2
kill -INT "$redirect_load" "$me_load"
wait "$redirect_load" "$me_load" || true

python3 - "$seconds" "$restart_seconds" "$work" "${runs[redirect-balancer]}" "${runs[redirect-direct]}" "${runs[me-balancer]}" "${runs[me-direct]}" "${runs[redirect-one-node]}" <<'PY'
import re
import statistics
import sys

seconds, restart_seconds, work = sys.argv[1], sys.argv[2], sys.argv[3]
def parse(text):
    return [list(map(float, run.split())) for run in text.split("|") if run.strip()]
def row(label, runs):
    rate = statistics.median(r[0] for r in runs)
    p99 = statistics.median(r[1] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    bad = sum(r[3] for r in runs)
    balancer = statistics.median(r[4] for r in runs)
    print(f"   {label:<30} {rate:8.0f} req/s = {rate * 60 / 1e6:5.2f} M/minute   p99 {p99:7.2f} ms   cluster CPU {cpu:6.1f} µs/request"
          + (f", HAProxy's {balancer:5.1f}" if balancer else "")
          + (f"   ({bad:.0f} failed)" if bad else ""))
    return rate
redirect_lb, redirect_direct, me_lb, me_direct, redirect_one = (parse(t) for t in sys.argv[4:9])
print(f"\n{len(redirect_lb)} rounds of {seconds} s each, medians (wrk: 1 thread, 64 connections):")
a = row("redirects through HAProxy", redirect_lb)
one = row("redirects, HAProxy to one node", redirect_one)
b = row("redirects, one node direct", redirect_direct)
print(f"   balancer / direct: {a / b:.2f}x; HAProxy to one node / direct: {one / b:.2f}x"
      " (goal: at least 0.80x, and at least 1.0 M/minute through the balancer)")
c = row("/v1/auth/me through HAProxy", me_lb)
d = row("/v1/auth/me, one node direct", me_direct)
print(f"   balancer / direct: {c / d:.2f}x")
failed = 0
total = 0
for name in ("restart-redirects", "restart-me"):
    text = open(f"{work}/{name}").read()
    total += int(re.search(r"(\d+) requests in", text).group(1))
    failed += sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if errors:
        failed += sum(int(n) for n in errors.groups())
print(f"\nrolling restart of all nodes in {restart_seconds} s under load: {failed} failed of {total} requests (goal 0)")
PY
