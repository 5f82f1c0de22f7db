#!/usr/bin/env bash
# Upload throughput: one tus PATCH of the whole file, then the same file in 8 MiB chunks, next
# to dd writing the same size with fsync to the same disk and to tuspyserver (the Python tus
# server, on uvicorn) receiving the same file from the same client in one PATCH; and the
# server's peak RSS above idle.
# Usage: bench/uploads.sh [MiB, default 1024]. Builds the release binary (see bench/server.sh);
# installs tuspyserver into a virtualenv in the build folder the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
source bench/server.sh
start_node 18085 APUS_BCRYPT_COST=4 APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_UPLOADS_MAX_SIZE=$((64 << 30)) APUS_UPLOADS_QUOTA=$((1 << 40))
file="$data/source.bin"
head -c "$((mib << 20))" /dev/urandom >"$file"
idle=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
auth=(-H "Authorization: Bearer $token")

# create URL [curl options]: a new upload of the file's size; its absolute URL.
create() {
    local url=$1
    shift
    local location
    location=$(curl -sf -D - -o /dev/null -X POST "$url" "$@" -H "Tus-Resumable: 1.0.0" -H "Upload-Length: $((mib << 20))" \
        | awk -F': ' 'tolower($1) == "location" {print $2}' | tr -d '\r')
    [[ $location == http* ]] && echo "$location" || echo "${url%%/v1/*}$location"
}

# one_patch URL [curl options]: MB/s of the whole file in one PATCH.
one_patch() {
    local url=$1
    shift
    local start
    start=$(date +%s.%N)
    curl -sf -o /dev/null -X PATCH "$url" "$@" -H "Tus-Resumable: 1.0.0" -H "Content-Type: application/offset+octet-stream" \
        -H "Upload-Offset: 0" -T "$file" || { echo "the PATCH to $url failed" >&2; return 1; }
    python3 -c "print(round($mib * 1.048576 / ($(date +%s.%N) - $start), 1))"
}

ratio() { python3 -c "print(round($1 / $2, 2))"; }

echo "== dd (conv=fsync) of $mib MiB to the data dir's disk"
dd_out=$(dd if="$file" of="$data/dd.bin" bs=8M conv=fsync 2>&1 | tail -1)
echo "$dd_out"
dd_mbs=$(echo "$dd_out" | python3 -c 'import re,sys; t=sys.stdin.read(); s=float(re.search(r"copied, ([0-9.]+) s", t).group(1)); print(round('"$mib"' * 1.048576 / s, 1))')
rm -f "$data/dd.bin"

echo "== one PATCH"
one=$(one_patch "$(create "$base/v1/uploads" "${auth[@]}")" "${auth[@]}") || exit 1

echo "== 8 MiB chunks"
url=$(create "$base/v1/uploads" "${auth[@]}")
start=$(date +%s.%N)
python3 - "$url" "$token" "$file" <<'PY'
import sys, requests
url, token, path = sys.argv[1:4]
session = requests.Session()
offset = 0
with open(path, "rb") as handle:
    while chunk := handle.read(8 << 20):
        response = session.patch(url, data=chunk, headers={"Tus-Resumable": "1.0.0", "Authorization": "Bearer " + token,
            "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)})
        assert response.status_code == 204, response.text
        offset = int(response.headers["Upload-Offset"])
PY
chunked=$(python3 -c "print(round($mib * 1.048576 / ($(date +%s.%N) - $start), 1))")
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
rm -rf "$data/objects"

echo "== tuspyserver 4.4.3 on uvicorn, one PATCH"
venv=${APUS_BENCH_SCRATCH:-.build}/tuspyserver-venv
if [[ ! -x $venv/bin/uvicorn ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q tuspyserver==4.4.3 uvicorn
fi
mkdir -p "$data/tuspyserver"
TUS_FILES_DIR="$data/tuspyserver" "$venv/bin/uvicorn" --app-dir bench tuspyserver_app:app --port 18086 --log-level warning \
    >"$data/tuspyserver.log" 2>&1 &
python_server=$!
# uvicorn exits 143 on SIGTERM: the trap must not stop at that (set -e) before removing the data.
trap 'kill $server $python_server 2>/dev/null; wait $server $python_server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null -X OPTIONS http://127.0.0.1:18086/files/ && break; sleep 0.1; done
python_one=$(one_patch "$(create http://127.0.0.1:18086/files/)") || exit 1

echo
echo "dd: $dd_mbs MB/s"
echo "Apus one PATCH: $one MB/s ($(ratio "$one" "$dd_mbs")x dd, $(ratio "$one" "$python_one")x tuspyserver)"
echo "Apus 8 MiB chunks: $chunked MB/s ($(ratio "$chunked" "$dd_mbs")x dd)"
echo "tuspyserver one PATCH: $python_one MB/s ($(ratio "$python_one" "$dd_mbs")x dd)"
echo "server RSS: idle $((idle / 1024)) MiB, peak $((peak / 1024)) MiB (+$(((peak - idle) / 1024)) MiB)"
