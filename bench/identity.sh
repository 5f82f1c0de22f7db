#!/usr/bin/env bash
# Identity benchmark: logins per second (bcrypt at the shipped cost), GET /v1/auth/me throughput
# as a ratio of GET /health/live in the same run, and /health/live p99 while logins run.
# Usage: bench/identity.sh [seconds per phase, default 5]. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
source bench/server.sh
# Limits far above what one machine can send, so the figures measure the work, not the limiter.
start_node 18080 APUS_RATE_LIMIT_AUTH=100000000/60 APUS_RATE_LIMIT_LOGIN_EMAIL=100000000/60 APUS_RATE_LIMIT_DEFAULT=100000000/60

# The machine is shared and noisy: alternate the two endpoints three times and keep every pair.
lives=()
mes=()
for round in 1 2 3; do
    echo "== round $round: GET /health/live (${seconds}s, 1 thread, 32 connections)"
    lives+=("$(wrk -t1 -c32 -d"${seconds}s" "$base/health/live" | tee /dev/stderr | rps)")
    echo "== round $round: GET /v1/auth/me with a bearer token"
    mes+=("$(wrk -t1 -c32 -d"${seconds}s" -H "Authorization: Bearer $token" "$base/v1/auth/me" | tee /dev/stderr | rps)")
done
echo "== POST /v1/auth/login (bcrypt cost 12)"
logins=$(wrk -t1 -c4 -d"${seconds}s" -s bench/login.lua "$base/v1/auth/login" | tee /dev/stderr | rps)
echo "== GET /health/live latency, idle server"
liveIdle=$(wrk -t1 -c8 -d"${seconds}s" --latency "$base/health/live" | tee /dev/stderr | p99)
echo "== GET /health/live latency while logins run"
wrk -t1 -c4 -d"$((seconds + 2))s" -s bench/login.lua "$base/v1/auth/login" >/dev/null &
loader=$!
sleep 1
liveUnderLogin=$(wrk -t1 -c8 -d"${seconds}s" --latency "$base/health/live" | tee /dev/stderr | p99)
wait $loader
echo "== GET /v1/links latency while 20 logins run (the password pool is bounded; logins past it get 503)"
linksIdle=$(wrk -t1 -c8 -d"${seconds}s" --latency -H "Authorization: Bearer $token" "$base/v1/links" | tee /dev/stderr | p99)
wrk -t1 -c20 -d"$((seconds + 2))s" -s bench/login.lua "$base/v1/auth/login" >/dev/null &
loader=$!
sleep 1
linksUnderLogin=$(wrk -t1 -c8 -d"${seconds}s" --latency -H "Authorization: Bearer $token" "$base/v1/links" | tee /dev/stderr | p99)
wait $loader

python3 - "${lives[*]}" "${mes[*]}" "$logins" "$liveUnderLogin" "$liveIdle" "$linksIdle" "$linksUnderLogin" <<'PY'
import statistics
import sys
lives = [float(x) for x in sys.argv[1].split()]
mes = [float(x) for x in sys.argv[2].split()]
logins, p99, idle, links_idle, links_under_login = sys.argv[3:]
ratios = [m / l for m, l in zip(mes, lives)]
print()
print("health/live  req/s per round: " + ", ".join(f"{x:.0f}" for x in lives))
print("auth/me      req/s per round: " + ", ".join(f"{x:.0f}" for x in mes))
print("ratio me/live per round:      " + ", ".join(f"{x:.2f}" for x in ratios) + f"   median {statistics.median(ratios):.2f} (goal >= 0.80)")
print(f"login (bcrypt cost 12): {float(logins):.1f} req/s")
print(f"health/live p99: {idle} alone, {p99} while logins run")
print(f"GET /v1/links p99: {links_idle} alone, {links_under_login} while 20 logins run (goal < 50 ms)")
PY
