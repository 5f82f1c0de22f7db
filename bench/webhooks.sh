#!/usr/bin/env bash
# Webhook delivery benchmark: one node (SQLite) signs and delivers N webhook notifications to a
# local receiver that answers 204 at once; prints the rate requests were accepted and the rate
# deliveries completed (from the first request to the last delivery).
# Usage: bench/webhooks.sh [notifications, default 3000]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3000}
source bench/server.sh
start_node 18083 APUS_BCRYPT_COST=4 APUS_RATE_LIMIT_DEFAULT=1000000000/60 APUS_RATE_LIMIT_AUTH=1000000/60 \
    APUS_ADMIN_EMAIL=bench-admin@example.com APUS_ADMIN_PASSWORD="benchmark admin" APUS_EGRESS_ALLOW=127.0.0.1 APUS_JOBS_CONCURRENCY=64
python3 - "$base" "$count" <<'PY'
import json, sys, threading, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

base, count = sys.argv[1], int(sys.argv[2])
received = set()
lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            received.add(self.headers["webhook-id"])
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"content-type": "application/json", **({"authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")

token = call("POST", "/v1/auth/login", {"email": "bench-admin@example.com", "password": "benchmark admin"})["access_token"]
endpoint = call("POST", "/v1/webhooks/endpoints", {"url": f"http://127.0.0.1:{server.server_address[1]}/hook", "event_types": ["bench.none"]}, token)
start = time.monotonic()
with ThreadPoolExecutor(8) as pool:
    ids = list(pool.map(lambda n: call("POST", "/v1/notifications", {"recipient": endpoint["id"], "channel": "webhook", "body": f"n{n}", "data": {"n": n}}, token)["id"], range(count)))
posted = time.monotonic() - start
while True:
    with lock:
        done = len(received & set(ids))
    if done == count or time.monotonic() - start > 300:
        break
    time.sleep(0.05)
delivered = time.monotonic() - start
print(f"{count} webhook notifications: accepted at {count / posted:.0f}/s; delivered {done}/{count}, signed, at {done / delivered:.0f}/s end to end")
PY
