#!/usr/bin/env bash
# Platform cost per request: requests per second and server CPU time per request (user + sys
# from /proc/PID/stat over the run, divided by the requests served) for a bare Hummingbird 302
# (bench/baseline, same build settings), GET /health/live, a short-link redirect and
# GET /v1/auth/me, alternated over three rounds in one run. Prints medians and the ratios to the
# baseline (goals: redirect >= 0.85x the baseline's req/s and <= 1.2x its CPU per request).
# Usage: bench/platform.sh [seconds per phase, default 5] [--json]. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
json=${2:-}
source bench/server.sh
start_node 18090 APUS_BCRYPT_COST=4 APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_RATE_LIMIT_AUTH=1000000/60 APUS_RATE_LIMIT_REDIRECT=1000000000/60
apus=$server
swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --product apus-baseline >/dev/null
"$(swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} --show-bin-path)/apus-baseline" 18091 >/dev/null 2>&1 &
baseline=$!
trap 'kill $server $baseline 2>/dev/null; wait $server $baseline 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:18091/x" && break; sleep 0.1; done
code=$(curl -sf -X POST "$base/v1/links" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"url":"https://example.com/landing"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
ua="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
curl -s -o /dev/null -A "$ua" "$base/$code"
ticks=$(getconf CLK_TCK)

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure NAME PID URL [wrk args]: one wrk run; prints "NAME rps cpu_us_per_request".
measure() {
    local name=$1 pid=$2 url=$3
    shift 3
    local before after out requests rate
    before=$(cpu "$pid")
    out=$(wrk -t1 -c32 -d"${seconds}s" "$@" "$url")
    after=$(cpu "$pid")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rate=$(echo "$out" | rps)
    echo "$name $rate $(python3 -c "print(($after - $before) / $ticks * 1e6 / $requests)")"
}

results=()
for round in 1 2 3; do
    echo "== round $round" >&2
    results+=("$(measure baseline $baseline "http://127.0.0.1:18091/$code")")
    results+=("$(measure live $apus "$base/health/live")")
    results+=("$(measure redirect $apus "$base/$code" -H "User-Agent: $ua")")
    results+=("$(measure me $apus "$base/v1/auth/me" -H "Authorization: Bearer $token")")
    printf '%s\n' "${results[@]: -4}" >&2
done
printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
rows = {}
for line in sys.stdin.read().split("\n"):
    if line.strip():
        name, rate, cpu = line.split()
        rows.setdefault(name, []).append((float(rate), float(cpu)))
base_rate = statistics.median(r for r, _ in rows["baseline"])
base_cpu = statistics.median(c for _, c in rows["baseline"])
table = []
for name in ["baseline", "live", "redirect", "me"]:
    rate = statistics.median(r for r, _ in rows[name])
    cpu = statistics.median(c for _, c in rows[name])
    table.append({"endpoint": name, "requests_per_second": round(rate), "cpu_us_per_request": round(cpu, 1),
                  "rate_ratio": round(rate / base_rate, 2), "cpu_ratio": round(cpu / base_cpu, 2)})
if sys.argv[1] == "--json":
    print(json.dumps(table))
else:
    print("%-10s %9s %11s %8s %7s" % ("endpoint", "req/s", "CPU us/req", "x req/s", "x CPU"))
    for row in table:
        print("%-10s %9d %11.1f %8.2f %7.2f" % (row["endpoint"], row["requests_per_second"], row["cpu_us_per_request"], row["rate_ratio"], row["cpu_ratio"]))
    print("goals: redirect >= 0.85 x req/s and <= 1.2 x CPU per request of the baseline")
' "${json:-text}"
