#!/usr/bin/env bash
# Identity benchmark: logins per second (bcrypt at the shipped cost), GET /v1/auth/me throughput
# as a ratio of GET /health/live in the same run, and /health/live p99 while logins run.
# Usage: bench/identity.sh [seconds per phase, default 10]. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
swift build -c release --product apus >/dev/null
bin=$(swift build -c release --show-bin-path)/apus
data=$(mktemp -d)
port=18080
base="http://127.0.0.1:$port"
# Limits far above what one machine can send, so the figures measure the work, not the limiter.
APUS_DATA_DIR="$data" APUS_PORT=$port APUS_LOG_LEVEL=warning \
APUS_RATE_LIMIT_AUTH=100000000/60 APUS_RATE_LIMIT_LOGIN_EMAIL=100000000/60 APUS_RATE_LIMIT_DEFAULT=100000000/60 \
    "$bin" serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "$base/health/live" >/dev/null && break; sleep 0.1; done
curl -sf -X POST "$base/v1/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"benchmark password"}' >/dev/null
token=$(curl -sf -X POST "$base/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"benchmark password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }

echo "== GET /health/live (${seconds}s, 1 thread, 32 connections)"
live=$(wrk -t1 -c32 -d"${seconds}s" "$base/health/live" | tee /dev/stderr | rps)
echo "== GET /v1/auth/me with a bearer token"
me=$(wrk -t1 -c32 -d"${seconds}s" -H "Authorization: Bearer $token" "$base/v1/auth/me" | tee /dev/stderr | rps)
echo "== POST /v1/auth/login (bcrypt cost 12)"
logins=$(wrk -t1 -c4 -d"${seconds}s" -s bench/login.lua "$base/v1/auth/login" | tee /dev/stderr | rps)
echo "== GET /health/live latency while logins run"
wrk -t1 -c4 -d"$((seconds + 2))s" -s bench/login.lua "$base/v1/auth/login" >/dev/null &
loader=$!
sleep 1
liveUnderLogin=$(wrk -t1 -c8 -d"${seconds}s" --latency "$base/health/live" | tee /dev/stderr | p99)
wait $loader

python3 - "$live" "$me" "$logins" "$liveUnderLogin" <<'PY'
import sys
live, me, logins, p99 = sys.argv[1:]
print()
print(f"health/live            {float(live):>10.0f} req/s")
print(f"auth/me (JWT + session) {float(me):>9.0f} req/s   ratio me/live = {float(me) / float(live):.2f} (goal >= 0.80)")
print(f"login (bcrypt 12)      {float(logins):>10.1f} req/s")
print(f"health/live p99 while logging in: {p99}")
PY
