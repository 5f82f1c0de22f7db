#!/usr/bin/env bash
# Upload throughput: one tus PATCH of the whole file, then the same file in 8 MiB chunks, next
# to dd writing the same size with fsync to the same disk; and the server's peak RSS above idle.
# Usage: bench/uploads.sh [MiB, default 1024]. Builds the release binary (see bench/server.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
source bench/server.sh
start_node 18085 APUS_BCRYPT_COST=4 APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_UPLOADS_MAX_SIZE=$((64 << 30)) APUS_UPLOADS_QUOTA=$((1 << 40))
file="$data/source.bin"
head -c "$((mib << 20))" /dev/urandom >"$file"
idle=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
tus=(-H "Tus-Resumable: 1.0.0" -H "Authorization: Bearer $token")

create() {
    curl -sf -D - -o /dev/null -X POST "$base/v1/uploads" "${tus[@]}" -H "Upload-Length: $((mib << 20))" \
        | awk -F': ' 'tolower($1) == "location" {print $2}' | tr -d '\r'
}

echo "== dd (conv=fsync) of $mib MiB to the data dir's disk"
dd_out=$(dd if="$file" of="$data/dd.bin" bs=8M conv=fsync 2>&1 | tail -1)
echo "$dd_out"
dd_mbs=$(echo "$dd_out" | python3 -c 'import re,sys; t=sys.stdin.read(); s=float(re.search(r"copied, ([0-9.]+) s", t).group(1)); print(round('"$mib"' * 1.048576 / s, 1))')
rm -f "$data/dd.bin"

echo "== one PATCH"
path=$(create)
start=$(date +%s.%N)
curl -sf -o /dev/null -X PATCH "$base$path" "${tus[@]}" -H "Content-Type: application/offset+octet-stream" -H "Upload-Offset: 0" -T "$file"
one=$(python3 -c "print(round($mib * 1.048576 / ($(date +%s.%N) - $start), 1))")

echo "== 8 MiB chunks"
path=$(create)
start=$(date +%s.%N)
python3 - "$base$path" "$token" "$file" <<'PY'
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
echo
echo "dd: $dd_mbs MB/s; one PATCH: $one MB/s ($(python3 -c "print(round($one / $dd_mbs, 2))")x dd); 8 MiB chunks: $chunked MB/s"
echo "server RSS: idle $((idle / 1024)) MiB, peak $((peak / 1024)) MiB (+$(((peak - idle) / 1024)) MiB)"
