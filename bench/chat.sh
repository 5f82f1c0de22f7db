#!/usr/bin/env bash
# Chat fan-out on one node (SQLite), driven by apus-chat-load (swift-websocket's client, in the
# same run, sharing the two cores with the server; its CPU is printed next to the server's):
#   1. 1,000 sockets in one room at 50 messages a second (50,000 deliveries a second), then higher;
#   2. 10 rooms of 100 sockets at the same 50,000 deliveries a second, then higher;
#   3. one Socket.IO client against Apus's /socket.io/ and against python-socketio on uvicorn
#      (uvloop) with the same events, 1,000 sockets in one room and in 10 rooms of 100, rates
#      rising until p99 passes a second; the best rate with every message delivered and p99
#      under 50 ms is compared;
#   4. 10,000 idle authenticated sockets (signed in, each answered a ping; in no room, since
#      each arrival in a room is announced to everyone there): the server's RSS per socket.
# Each step prints deliveries per second, latency from send to receipt (p50, p99, max), the
# server's CPU (and per delivery) and RSS, and the load generator's CPU.
# Settings the run needs (stated in the README): APUS_CHAT_SEND_RATE raised (a few sockets send
# all the messages), sign-up and login limits raised (1,000 accounts from one address), the
# open-file limit at its hard maximum (20,000 here: 10,000 sockets on each side), accounts of 10
# sockets each (under APUS_SOCKETS_PER_USER's 32).
# Usage: bench/chat.sh [seconds per step, default 10]. APUS_BENCH_BIN names an apus binary to use
# instead of building one; APUS_BENCH_SCRATCH another build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
ulimit -n "$(ulimit -Hn)"
build() { swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} "$@"; }
build --product apus-chat-load >/dev/null
load=$(build --show-bin-path)/apus-chat-load
if [[ -n "${APUS_BENCH_BIN:-}" ]]; then
    bin=$APUS_BENCH_BIN
else
    build --product apus >/dev/null
    bin=$(build --show-bin-path)/apus
fi
venv=${APUS_BENCH_SCRATCH:-.build}/socketio-venv
if [[ ! -x $venv/bin/uvicorn ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q python-socketio==5.18.1 "uvicorn[standard]==0.55.0"
fi

data=$(mktemp -d)
server=
stop_server() {
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    server=
}
trap 'stop_server; rm -rf "$data"' EXIT

# apus_node PORT: a fresh node on its own SQLite data dir; sets server.
apus_node() {
    stop_server
    rm -rf "$data/apus" && mkdir -p "$data/apus"
    env APUS_DATA_DIR="$data/apus" APUS_PORT="$1" APUS_LOG_LEVEL=warning APUS_BCRYPT_COST=4 \
        APUS_RATE_LIMIT_AUTH=1000000000/60 APUS_RATE_LIMIT_LOGIN_EMAIL=1000000000/60 APUS_RATE_LIMIT_DEFAULT=1000000000/60 \
        APUS_CHAT_SEND_RATE=100000 "$bin" serve >"$data/apus.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/health/live" >/dev/null && return; sleep 0.1; done
    echo "apus did not start:" >&2
    cat "$data/apus.log" >&2
    exit 1
}

# python_node PORT: python-socketio on uvicorn; sets server to the Python process.
python_node() {
    stop_server
    "$venv/bin/uvicorn" --app-dir bench socketio_app:app --port "$1" --log-level warning >"$data/python.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -s "http://127.0.0.1:$1/socket.io/?EIO=4&transport=polling" >/dev/null && return; sleep 0.1; done
    echo "python-socketio did not start:" >&2
    cat "$data/python.log" >&2
    exit 1
}

fanout() { "$load" fanout --seconds "$seconds" --server-pid "$server" "$@"; }

echo "== Apus, its own frames: 1,000 sockets in one room (each message reaches 1,000)"
apus_node 18090
fanout --base http://127.0.0.1:18090 --sockets 1000 --rooms 1 --rates 5,10,20,30,50 --label "apus 1x1000"

echo "== Apus, its own frames: 10 rooms of 100 sockets (each message reaches 100)"
apus_node 18090
fanout --base http://127.0.0.1:18090 --sockets 1000 --rooms 10 --rates 50,100,200,300,500 --label "apus 10x100"

# The same Socket.IO client and events against both servers, fresh for each shape.
for shape in "1 5,10,20,50" "10 50,100,200,300,400,600"; do
    read -r rooms rates <<<"$shape"
    echo "== Socket.IO, one client, 1,000 sockets in $rooms room(s): Apus /socket.io/"
    apus_node 18090
    fanout --base http://127.0.0.1:18090 --wire socketio --sockets 1000 --rooms "$rooms" --rates "$rates" --label "apus socket.io"
    echo "== Socket.IO, one client, 1,000 sockets in $rooms room(s): python-socketio 5.18.1 on uvicorn (uvloop)"
    python_node 18091
    fanout --base http://127.0.0.1:18091 --plain --wire socketio --sockets 1000 --rooms "$rooms" --rates "$rates" --label "python-socketio"
done

echo "== Apus, 10,000 idle sockets (1,000 accounts, signed in, no room)"
apus_node 18090
"$load" idle --base http://127.0.0.1:18090 --sockets 10000 --connecting 128 --server-pid "$server"
