#!/usr/bin/env bash
# Logs: ingestion through Loki's JSON push and Elasticsearch's bulk API (batches of 1,000
# lines), bytes on disk against gzip -6 of the same lines, and query latency for a label selector
# with a text filter over an hour and over a day, for a term in 1% and in 50% of the lines and for
# one line's id, next to grep -c over the same file. One release node on SQLite.
# Usage: bench/logs.sh [LINES]  (default 1,000,000; the issue's 10 million takes an hour here)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
source bench/server.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== corpus: $lines lines (seed 42)"
python3 bench/logs_corpus.py "$work" --lines "$lines" >"$work/meta.json"
raw=$(stat -c %s "$work/corpus.log")

start_node 8941 APUS_ADMIN_EMAIL=admin@example.com "APUS_ADMIN_PASSWORD=benchmark password" APUS_RATE_LIMIT_DEFAULT=1000000000/60 \
    APUS_LOGS_MAX_STREAMS=100000 APUS_LOGS_COMPACT_EVERY=30
# Shipping takes logs.write, which the benchmark account (a viewer) lacks: the admin ships.
token=$(curl -sf -X POST "$base/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"benchmark password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# start_node's trap stops the node; this one also removes the corpus.
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$work"' EXIT
auth="Authorization: Bearer $token"

cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
ticks=$(getconf CLK_TCK)

# ingest KIND DIR PATH: every body in DIR through four kept-alive connections, as a shipper sends
# (a process per batch, as curl would be, spends more of the two cores than the server does);
# prints lines/s, the server's CPU per line and the shipper's own CPU.
ingest() {
    local kind=$1 dir=$2 path=$3 count before after cpu_before cpu_after shipper
    # The corpus's file names are generated (no spaces or newlines), so ls is safe here.
    # shellcheck disable=SC2012
    count=$(ls "$dir" | wc -l)
    cpu_before=$(cpu)
    before=$(date +%s.%N)
    shipper=$(python3 bench/log_shipper.py "$dir" "$base$path" --workers 4 --header "$auth")
    after=$(date +%s.%N)
    cpu_after=$(cpu)
    python3 -c "
import json
lines = $count * 1000
seconds = $after - $before
shipper = json.loads('$shipper')['client_cpu_seconds']
print(f'$kind: {lines / seconds:,.0f} lines/s ({lines:,} lines in {seconds:.1f} s), server CPU {($cpu_after - $cpu_before) / $ticks / lines * 1e6:.1f} µs a line, the shipper\'s CPU {shipper:.1f} s')"
}

echo "== ingestion"
ingest "Loki push (JSON)" "$work/push" /loki/api/v1/push
size() { du -sb "$data"/logs.sqlite* | awk '{s += $1} END {print s}'; }
as_pushed=$(size)
# Compaction merges each stream's chunks (one per stream per batch) every 30 s here: wait until
# no small chunk is left (read beside the node, as WAL allows), then for the freed pages to go.
python3 - "$data/logs.sqlite" <<'PY'
import sqlite3, sys, time
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    with sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True) as db:
        if db.execute("SELECT COUNT(*) FROM logs_chunks WHERE lines < 250").fetchone()[0] == 0:
            break
    time.sleep(2)
PY
sleep 3
compacted=$(size)

echo "== size (the push's copy: every chunk and index)"
gz=$(gzip -6 -c "$work/corpus.log" | wc -c)
python3 -c "
raw, gz = $raw, $gz
print(f'raw {raw:,} bytes; gzip -6 {gz:,} ({gz / raw:.3f} of raw)')
for label, size in (('as pushed', $as_pushed), ('compacted', $compacted)):
    print(f'Apus {label}: {size:,} ({size / raw:.3f} of raw, {size / gz:.2f}x gzip)')"

echo "== queries over the compacted push (20 each, limit 100, newest first)"
meta_end=$(python3 -c "import json; print(json.load(open('$work/meta.json'))['end'])")
# query LABEL SECONDS TERM [SELECTOR]
query() {
    local label=$1 span=$2 term=$3 selector=${4:-'{app="api"}'}
    local q
    q=$(python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1] + ' |= \"' + sys.argv[2] + '\"'))" "$selector" "$term")
    for _ in $(seq 20); do
        curl -s -o /dev/null -w '%{time_total}\n' -H "$auth" "$base/loki/api/v1/query_range?query=$q&start=$((meta_end - span * 1000000000))&end=$meta_end&limit=100"
    done | sort -n | awk -v label="$label" '{t[NR] = $1} END {printf "%s: p50 %.1f ms, p95 %.1f ms\n", label, t[int(NR * 0.5)] * 1000, t[int(NR * 0.95)] * 1000}'
}
query "hour, term in 1%  " 3600 refund-4711
query "hour, term in 50% " 3600 checkout
query "day, term in 1%   " 86400 refund-4711
query "day, term in 50%  " 86400 checkout
# One line's request id (line 123,456 of the corpus), over every stream: the chunks' 4-gram
# filters skip nearly every chunk unread.
rare="req=$(printf '%012x' 123456)"
query "day, term in 1 line " 86400 "$rare" '{app=~".+"}'
for term in refund-4711 checkout "$rare"; do
    start=$(date +%s.%N)
    # Through a pipe: with its output on /dev/null, GNU grep stops at the first match.
    grep -c "$term" "$work/corpus.log" | cat >/dev/null
    end=$(date +%s.%N)
    python3 -c "print(f'grep -c $term over the day: {($end - $start) * 1000:.1f} ms')"
done

# Last, so the queries above read the push's compacted copy alone.
echo "== ingestion, Elasticsearch's way"
ingest "Elasticsearch _bulk" "$work/bulk" /bench/_bulk
