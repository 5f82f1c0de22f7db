#!/usr/bin/env bash
# Content benchmark, one release node on SQLite, in one run:
#   1. a published entry read by its slug (public type, no token, warm cache) next to
#      GET /health/live: wrk with the same duration and connections, three rounds alternated,
#      req/s, p50, p99, the ratio (goal >= 0.8x) and server CPU time per request (user + sys
#      from /proc/PID/stat over the run);
#   2. the same for a book whose 60 reference fields are expanded (?expand=true), and its latency
#      on one connection (goal p50 < 5 ms);
#   3. saves of one locale of an entry in 25 locales with 10 localised fields: 200 sequential
#      PATCHes with If-Match: * on one keep-alive connection (goal p95 < 50 ms);
#   4. search over ENTRIES published articles of a seeded corpus (bench/content_corpus.py), made
#      by 8 clients at once (create + publish): 500 one- and two-word queries, sequential
#      (goal p95 < 20 ms);
#   5. the sitemap of those articles as an index of two children (APUS_CONTENT_SITEMAP_MAX_URLS
#      is half of ENTRIES, 50,000 for the default): the seconds to fetch it all (goal < 2 s) and
#      the node's RSS before and at its peak, sampled every 50 ms (memory flat: a small rise).
# A part whose endpoint answers 404 (a server without it) is reported as not available.
# Usage: bench/content.sh [ENTRIES, default 100000] [seconds per wrk phase, default 5].
# Creating 100,000 articles takes minutes (the rate is printed, and the progress on a terminal).
# APUS_BENCH_BIN names a binary to run instead of the release build. Needs wrk (installed with
# apt-get when missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
entries=${1:-100000}
seconds=${2:-5}
[[ $entries =~ ^[0-9]+$ && $entries -ge 2 ]] || { echo "usage: bench/content.sh [ENTRIES >= 2] [SECONDS]" >&2; exit 2; }
if ! command -v wrk >/dev/null && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "== installing wrk"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
source bench/server.sh

# Two children for ENTRIES up to 100,000; more past it (the sitemaps.org limit is 50,000 URLs).
sitemap_max=$(((entries + 1) / 2))
((sitemap_max <= 50000)) || sitemap_max=50000
admin_email=admin@example.com
admin_password="benchmark admin password"
start_node 18096 APUS_BCRYPT_COST=4 APUS_ADMIN_EMAIL=$admin_email "APUS_ADMIN_PASSWORD=$admin_password" \
    APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_RATE_LIMIT_AUTH=1000000/60 APUS_RATE_LIMIT_LOGIN_EMAIL=1000000/60 \
    APUS_ACCESS_TOKEN_TTL=86400 APUS_CONTENT_SITEMAP_MAX_URLS=$sitemap_max
admin=$(curl -sf -X POST "$base/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
work=$(mktemp -d)
sampler=
# start_node's trap stops the node; this one also stops the RSS sampler and removes the files.
trap 'kill $sampler $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$work"' EXIT
results=$work/results
started=$(date +%s)
ticks=$(getconf CLK_TCK)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
report() { echo "$*" | tee -a "$results"; }

# shellcheck source=bench/wrk-table.sh
source bench/wrk-table.sh
thousands() { python3 -c "print(f'{$1:,}')"; }

echo "== preparing: a page, 60 authors and a book referring to each, a guide in 25 locales"
python3 bench/content_client.py prepare "$base" "$admin" >"$work/prepared.json"
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/prepared.json" "$1"; }
page="$base/v1/content/pages/published/by-slug/$(field page_slug)"
book="$base/v1/content/books/published/by-slug/$(field book_slug)"
curl -sf -o /dev/null "$page"
curl -sf -o /dev/null "$book?expand=true"

echo "== 1, 2: wrk, 1 thread, 32 connections, ${seconds} s each, three rounds alternated"
wrk -t1 -c32 -d1s "$page" >/dev/null
live=(); slug=(); expand=()
for round in 1 2 3; do
    echo "   round $round"
    live+=("$(measure "$base/health/live")")
    slug+=("$(measure "$page")")
    [[ $(field expand_status) != 200 ]] || expand+=("$(measure "$book?expand=true")")
done
report "1. a published entry by slug, warm cache, no token (GET /v1/content/pages/published/by-slug/{slug}), next to"
report "   GET /health/live; wrk, 1 thread, 32 connections, ${seconds} s each, medians of three rounds alternated"
report "$(line "/health/live" "$(median "${live[@]}")")"
report "$(line "by slug" "$(median "${slug[@]}")")"
report "   ratio by-slug / live: $(ratios slug)   (goal >= 0.8x)"
report "2. a book with 60 references expanded (GET /v1/content/books/published/by-slug/{slug}?expand=true), same wrk"
if ((${#expand[@]} > 0)); then
    read -r _ expand_p50 _ <<<"$(median "${expand[@]}")"
    report "$(line "by slug, expanded" "$(median "${expand[@]}")")"
    report "   ratio expanded / live: $(ratios expand)"
    read -r _ one_p50 one_p99 _ <<<"$(measure "$book?expand=true" -c1)"
    report "   p50 $expand_p50 ms at 32 connections, $one_p50 ms at one (p99 $one_p99 ms)   (goal p50 < 5 ms)"
    [[ $(field expand_applied) == True ]] || report "   (expand not applied by this server: the references came back as ids)"
else
    report "   not available (the read answered $(field expand_status))"
fi

echo "== 3: 200 sequential saves of one locale of an entry in 25 locales"
saved=$(python3 bench/content_client.py saves "$base" "$admin" guides "$(field guide_id)" --locale fr --count 200)
report "3. save of one locale (fr) of an entry in 25 locales, 10 localised fields, If-Match: *, 200 sequential, keep-alive"
report "   $saved   (goal p95 < 50 ms)"

echo "== 4: creating $(thousands "$entries") published articles (8 clients, create + publish)"
loaded=$(python3 bench/content_client.py load "$base" "$admin" "$entries" --clients 8)
for pair in $loaded; do declare "load_${pair%%=*}=${pair#*=}"; done
last_id=${load_last_id:?}
echo "   $(thousands "$entries") articles in ${load_seconds:?} s: ${load_rate:?} articles/s (${load_requests_rate:?} requests/s)"
searched=$(python3 bench/content_client.py search "$base" "$admin" "$entries" "$last_id" --queries 500)
report "4. search over $(thousands "$entries") articles (made at $load_rate articles/s, $load_requests_rate requests/s), 500 one- and two-word queries, sequential"
if [[ $searched == "not available"* ]]; then
    report "   $searched"
else
    report "   $(head -n 1 <<<"$searched")   (goal p95 < 20 ms)"
    report "   $(tail -n +2 <<<"$searched")"
fi

echo "== 5: the sitemap"
report "5. sitemap of $(thousands "$entries") URLs (APUS_CONTENT_SITEMAP_MAX_URLS=$sitemap_max), fetched with curl"
sleep 1
before=$(rss)
(while :; do rss; sleep 0.05; done) >"$work/rss" 2>/dev/null &
sampler=$!
sleep 0.2
start=$(date +%s.%N)
status=$(curl -s -o "$work/sitemap.xml" -w '%{http_code}' "$base/sitemap.xml")
children=0
if [[ $status == 200 ]]; then
    while read -r loc; do
        children=$((children + 1))
        curl -sf -o "$work/child-$children.xml" "$base/${loc#*://*/}"
    done < <(grep -o '<sitemap><loc>[^<]*</loc>' "$work/sitemap.xml" | sed -e 's/<sitemap><loc>//' -e 's|</loc>||')
fi
end=$(date +%s.%N)
sleep 0.2
kill "$sampler"
wait "$sampler" 2>/dev/null || true
sampler=
if [[ $status != 200 ]]; then
    report "   not available (GET /sitemap.xml answered $status)"
else
    peak=$(sort -n "$work/rss" | tail -n 1)
    urls=$(cat "$work"/sitemap.xml "$work"/child-*.xml 2>/dev/null | grep -o '<url>' | wc -l)
    bytes=$(cat "$work"/sitemap.xml "$work"/child-*.xml 2>/dev/null | wc -c)
    report "   $(thousands "$urls") URLs in $((children > 0 ? children : 1)) sitemap(s)$( ((children == 0)) || echo " under an index"), $(python3 -c "print(f'{$bytes / 1e6:.1f}')") MB: $(python3 -c "print(f'{$end - $start:.2f}')") s   (goal < 2 s)"
    report "   node RSS before $((before / 1024)) MiB, peak during $((peak / 1024)) MiB: +$(((peak - before) / 1024)) MiB ($(wc -l <"$work/rss") samples)"
fi

echo
echo "== content benchmark: one node on SQLite, $(basename "${APUS_BENCH_BIN:-release build}"), $(nproc) cores, $(($(date +%s) - started)) s in all"
cat "$results"
