#!/usr/bin/env bash
# Short-link benchmark: redirects per second on a warm cache against GET /health/live of the
# same server, alternated three times; p99 at the measured rate; then checks that the stats
# count every non-bot click sent (none lost in the buffer).
# Usage: bench/links.sh [seconds per phase, default 5]. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
source bench/server.sh
start_node 18082 APUS_BCRYPT_COST=4 APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_RATE_LIMIT_AUTH=1000000/60
code=$(curl -sf -X POST "$base/v1/links" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"url":"https://example.com/landing"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
# A browser's user agent, so every click counts as a person's.
ua="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
curl -s -o /dev/null -A "$ua" "$base/$code"

lives=(); redirects=(); p99s=()
for round in 1 2 3; do
    echo "== round $round: GET /health/live"
    lives+=("$(wrk -t1 -c32 -d"${seconds}s" "$base/health/live" | tee /dev/stderr | rps)")
    echo "== round $round: GET /$code (302)"
    out=$(wrk -t1 -c32 -d"${seconds}s" --latency -H "User-Agent: $ua" "$base/$code")
    echo "$out" >&2
    redirects+=("$(echo "$out" | rps)"); p99s+=("$(echo "$out" | p99)")
done
# wrk does not count requests still in flight when it stops; the server's own count is exact.
total=$(curl -sf "$base/metrics" | awk '/^apus_links_redirects_total / {print $2}')
sleep 2
stats=$(curl -sf "$base/v1/links/$code/stats?interval=day" -H "Authorization: Bearer $token")
python3 - "${lives[*]}" "${redirects[*]}" "${p99s[*]}" "$total" "$stats" <<'PY'
import json
import statistics
import sys
lives = [float(x) for x in sys.argv[1].split()]
redirects = [float(x) for x in sys.argv[2].split()]
p99s = sys.argv[3].split()
sent = int(sys.argv[4])
counted = json.loads(sys.argv[5])["clicks"]
ratios = [r / l for r, l in zip(redirects, lives)]
print()
print("health/live req/s per round: " + ", ".join(f"{x:.0f}" for x in lives))
print("redirect    req/s per round: " + ", ".join(f"{x:.0f}" for x in redirects)
      + f"   = {statistics.median(redirects) * 60 / 1e6:.2f} M redirects/minute (goal >= 1.0)")
print("ratio redirect/live:         " + ", ".join(f"{x:.2f}" for x in ratios) + f"   median {statistics.median(ratios):.2f} (goal >= 0.85)")
print("redirect p99 per round:      " + ", ".join(p99s) + "   (goal < 10 ms)")
print(f"clicks sent {sent}, counted by stats {counted}: " + ("none lost" if sent == counted else f"{sent - counted} MISSING"))
PY
