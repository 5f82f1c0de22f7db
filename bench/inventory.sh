#!/usr/bin/env bash
# Inventory benchmark: checkouts per second for one hot SKU and for 1,000 SKUs spread, on SQLite
# and (when APUS_BENCH_POSTGRES_URL names an empty database) PostgreSQL, with the conflicts
# retried and an oversell check: the units reserved must equal the checkouts acknowledged, and
# no SKU's available stock may be below zero.
# Usage: bench/inventory.sh [seconds per phase, default 10]. Needs wrk (apt-get install wrk).
# APUS_BENCH_PHASES="spread" runs only the phases named (hot, spread, last).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
source bench/server.sh
admin_email=shop@example.com
admin_password="benchmark admin password"

api() { # METHOD PATH TOKEN [BODY]
    curl -sf -X "$1" "$base$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+-d "$4"}
}

run_engine() { # ENGINE-LABEL [VAR=VALUE ...]
    local label=$1
    shift
    start_node "$@" APUS_ADMIN_EMAIL=$admin_email "APUS_ADMIN_PASSWORD=$admin_password" \
        APUS_RATE_LIMIT_DEFAULT=100000000/60 APUS_INVENTORY_RESERVATION_TTL=3600
    local admin
    admin=$(curl -sf -X POST "$base/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    api POST /v1/inventory/locations "$admin" '{"code":"main","name":"Main"}' >/dev/null
    # The hot SKU holds more units than the phase can sell (so the rate measures checkouts, not
    # a sell-out); LAST holds 1,000, fewer than its phase asks for, so refusals happen under
    # contention and the check below proves none of them oversold.
    api POST /v1/inventory/products "$admin" '{"name":"Hot","published":true,"variants":[{"sku":"HOT","name":"Hot","price":100,"currency":"EUR"},{"sku":"LAST","name":"Last","price":100,"currency":"EUR"}]}' >/dev/null
    api POST /v1/inventory/stock/adjustments "$admin" "{\"sku\":\"HOT\",\"location\":\"main\",\"delta\":$((seconds * 10000)),\"reason\":\"bench\",\"kind\":\"received\"}" >/dev/null
    api POST /v1/inventory/stock/adjustments "$admin" '{"sku":"LAST","location":"main","delta":1000,"reason":"bench","kind":"received"}' >/dev/null
    python3 - "$base" "$admin" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def call(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
for start in range(0, 1000, 100):
    call("/v1/inventory/products", {"name": f"Spread {start}", "published": True, "variants": [
        {"sku": f"SKU-{n:04d}", "name": f"SKU {n}", "price": 100, "currency": "EUR"} for n in range(start, start + 100)]})
for n in range(1000):
    call("/v1/inventory/stock/adjustments", {"sku": f"SKU-{n:04d}", "location": "main", "delta": 1000000, "reason": "bench", "kind": "received"})
PY
    for mode in ${APUS_BENCH_PHASES:-hot spread last}; do
        local duration=$seconds
        [[ $mode == last ]] && duration=3
        echo "== $label, $mode: POST /v1/checkouts (${duration}s, 2 threads, 64 connections)"
        out=$(wrk -t2 -c64 -d"${duration}s" -s bench/checkout.lua -H "Authorization: Bearer $token" "$base/v1/checkouts" -- "$mode" | tee /dev/stderr)
        statuses=$(grep STATUSES <<<"$out")
        created=$(sed -E 's/.*created=([0-9]+).*/\1/' <<<"$statuses")
        rate=$(python3 -c "print(f'{$created / $duration:.0f}')")
        if [[ $mode == last ]]; then
            echo "RESULT $label sell-out of 1000 units: $statuses" | tee -a "$results"
        else
            echo "RESULT $label $mode checkouts/s=$rate ($statuses)" | tee -a "$results"
        fi
    done
    python3 - "$base" "$admin" "$label" <<'PY' | tee -a "$results"
import json, sys, urllib.request
base, token, label = sys.argv[1:]
def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    return urllib.request.urlopen(request).read().decode()
stocks = [json.loads(get(f"/v1/inventory/stock?sku={sku}")) for sku in ["HOT", "LAST"] + [f"SKU-{n:04d}" for n in range(1000)]]
reserved = sum(s["reserved"] for s in stocks)
negative = [s["sku"] for s in stocks if s["available"] < 0 or s["reserved"] > s["on_hand"]]
metrics = get("/metrics")
retried = next((line.split()[-1] for line in metrics.splitlines() if line.startswith("apus_inventory_conflicts_retried_total")), "0")
outcomes = {line.split('"')[1]: line.split()[-1] for line in metrics.splitlines() if line.startswith("apus_inventory_reservations_total{")}
# Every checkout is one unit: the units held must equal the reservations the server acknowledged
# (wrk stops counting at its deadline, so its own count of 201s can be a little lower).
acknowledged = int(float(outcomes.get("reserved", "0")))
verdict = "ok" if reserved == acknowledged and not negative else "OVERSOLD"
print(f"RESULT {label} oversell check {verdict}: units reserved={reserved}, reservations acknowledged={acknowledged}, SKUs below zero={len(negative)}; hot available={stocks[0]['available']}, last available={stocks[1]['available']}; conflicts retried={retried}; outcomes={outcomes}")
PY
    kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
}

results=$(mktemp)
# APUS_BENCH_ENGINES=postgres measures PostgreSQL alone.
engines=${APUS_BENCH_ENGINES:-sqlite postgres}
[[ $engines == *sqlite* ]] && run_engine sqlite 18090
if [[ -n "${APUS_BENCH_POSTGRES_URL:-}" && $engines == *postgres* ]]; then
    run_engine postgres 18091 "APUS_DATABASE_URL=$APUS_BENCH_POSTGRES_URL"
fi
echo
grep RESULT "$results" | sed 's/^RESULT //'
echo "(goals on PostgreSQL: >= 1000 checkouts/s hot, >= 3000/s spread, with a release build; zero oversold)"
