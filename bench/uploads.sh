#!/usr/bin/env bash
# Upload throughput: one tus PATCH of the whole file, then the same file in 8 MiB chunks, next
# to dd writing the same size with fsync to the same disk and to tuspyserver (the Python tus
# server, on uvicorn) receiving the same file from the same clients, in one PATCH and in 8 MiB
# chunks; and the server's peak RSS above idle. tuspyserver never fsyncs (its bytes sit in the
# page cache when it answers), so it is also timed until its file is on disk (`sync -f`), which
# is what Apus waits for before each answer.
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
    # With a directory, the time runs until its file system has written everything back.
    [[ -n ${SYNC_DIR:-} ]] && sync -f "$SYNC_DIR"
    python3 -c "print(round($mib * 1.048576 / ($(date +%s.%N) - $start), 1))"
}

# chunks URL [TOKEN]: MB/s of the file in 8 MiB PATCHes over one keep-alive connection. The
# client sends each chunk from the file with sendfile(2), so it costs the servers the same and
# is not what limits them (a requests loop tops out near 300 MB/s here).
chunks() {
    local start
    start=$(date +%s.%N)
    python3 - "$1" "${2:-}" "$file" <<'PY'
import os, socket, sys, urllib.parse
url, token, path = sys.argv[1:4]
target = urllib.parse.urlsplit(url)
connection = socket.create_connection((target.hostname, target.port))
replies = connection.makefile("rb")
size = os.path.getsize(path)
offset = 0
with open(path, "rb") as handle:
    while offset < size:
        length = min(8 << 20, size - offset)
        head = (f"PATCH {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\nTus-Resumable: 1.0.0\r\n"
                f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\nContent-Length: {length}\r\n")
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        connection.sendall((head + "\r\n").encode())
        connection.sendfile(handle, offset, length)
        status = replies.readline().split()[1]
        headers = {}
        while (line := replies.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        replies.read(int(headers.get("content-length", "0")))
        assert status == b"204", (status, headers)
        offset = int(headers["upload-offset"])
PY
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
chunked=$(chunks "$(create "$base/v1/uploads" "${auth[@]}")" "$token")
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
rm -rf "$data/tuspyserver"/*
echo "== tuspyserver, 8 MiB chunks"
python_chunked=$(chunks "$(create http://127.0.0.1:18086/files/)")
rm -rf "$data/tuspyserver"/*
echo "== tuspyserver, one PATCH, until its file is on disk"
sync
python_durable=$(SYNC_DIR="$data/tuspyserver" one_patch "$(create http://127.0.0.1:18086/files/)") || exit 1

echo
echo "dd: $dd_mbs MB/s"
echo "Apus one PATCH: $one MB/s ($(ratio "$one" "$dd_mbs")x dd, $(ratio "$one" "$python_one")x tuspyserver)"
echo "Apus 8 MiB chunks: $chunked MB/s ($(ratio "$chunked" "$dd_mbs")x dd, $(ratio "$chunked" "$python_chunked")x tuspyserver)"
echo "tuspyserver one PATCH: $python_one MB/s ($(ratio "$python_one" "$dd_mbs")x dd); 8 MiB chunks: $python_chunked MB/s"
echo "tuspyserver one PATCH until on disk: $python_durable MB/s (Apus one PATCH, durable when answered: $(ratio "$one" "$python_durable")x)"
echo "server RSS: idle $((idle / 1024)) MiB, peak $((peak / 1024)) MiB (+$(((peak - idle) / 1024)) MiB)"
