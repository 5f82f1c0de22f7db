#!/usr/bin/env bash
# What chat costs per message on PostgreSQL:
#   1. Apus with APUS_CHAT_MESSAGE_EVENTS off and on, alternated twice, each on a fresh database:
#      100 sockets in 10 rooms, 5 senders a room, 300 messages a second (3,000 deliveries a
#      second) and 1,000 (past what two cores hold): latency, Apus's CPU and PostgreSQL's CPU
#      per message;
#   2. the cost of NOTIFY on its own (pgbench, no Apus): chat's write (lock the room's row for
#      the next number, insert the message) with and without the pg_notify that follows each
#      commit, 8 clients and 1, alternated twice.
# PostgreSQL comes from the PG* variables or, when PGHOST is unset, a throwaway cluster started
# with pg_virtualenv (as root).
# Usage: bench/chat-postgres.sh [seconds per run, default 10]. APUS_BENCH_BIN names an apus binary.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
if [[ -z "${PGHOST:-}" ]]; then
    exec pg_virtualenv -t bash "$0" "$@"
fi
build() { swift build -c release ${APUS_BENCH_SCRATCH:+--scratch-path "$APUS_BENCH_SCRATCH"} "$@"; }
build --product apus-chat-load >/dev/null
load=$(build --show-bin-path)/apus-chat-load
if [[ -n "${APUS_BENCH_BIN:-}" ]]; then
    bin=$APUS_BENCH_BIN
else
    build --product apus >/dev/null
    bin=$(build --show-bin-path)/apus
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

# CPU seconds of every PostgreSQL process so far.
postgres_cpu() {
    local ticks=0 pid
    for pid in $(pgrep -x postgres); do
        ticks=$((ticks + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    python3 -c "print($ticks / $(getconf CLK_TCK))"
}

url() { echo "postgres://$PGUSER:${PGPASSWORD:-}@$PGHOST:${PGPORT:-5432}/$1?sslmode=disable"; }

run=0
# apus_run EVENTS RATE: a node on a fresh database, then the load; prints the step and PostgreSQL's CPU per message.
apus_run() {
    run=$((run + 1))
    local database="chat_bench_$run" before after
    psql -q -c "CREATE DATABASE $database" >/dev/null
    stop_server
    env APUS_DATABASE_URL="$(url "$database")" APUS_DATA_DIR="$data" APUS_PORT=18092 APUS_LOG_LEVEL=warning APUS_BCRYPT_COST=4 \
        APUS_RATE_LIMIT_AUTH=1000000000/60 APUS_RATE_LIMIT_LOGIN_EMAIL=1000000000/60 APUS_RATE_LIMIT_DEFAULT=1000000000/60 \
        APUS_CHAT_SEND_RATE=100000 APUS_CHAT_MESSAGE_EVENTS="$1" "$bin" serve >"$data/apus.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -sf http://127.0.0.1:18092/health/live >/dev/null && break; sleep 0.1; done
    before=$(postgres_cpu)
    "$load" fanout --base http://127.0.0.1:18092 --server-pid "$server" --sockets 100 --rooms 10 --senders 5 \
        --rates "$2" --seconds "$seconds" --label "events $1" | grep msg/s
    after=$(postgres_cpu)
    python3 -c "print('  PostgreSQL CPU %.2f s: %.0f µs a message' % ($after - $before, ($after - $before) * 1e6 / ($2 * $seconds)))"
}

for rate in 300 1000; do
    echo "== Apus on PostgreSQL, $rate messages a second in 10 rooms of 10, APUS_CHAT_MESSAGE_EVENTS off and on"
    for _ in 1 2; do
        apus_run off "$rate"
        apus_run on "$rate"
    done
done
stop_server

echo "== NOTIFY's cost on its own (pgbench): chat's write with and without the pg_notify after it"
psql -q -c "CREATE DATABASE notify_bench" >/dev/null
export PGDATABASE=notify_bench
psql -q <<'SQL'
CREATE TABLE rooms (id text PRIMARY KEY, seq bigint NOT NULL DEFAULT 0);
CREATE TABLE messages (room_id text, seq bigint, id text, text text, created_at text, PRIMARY KEY (room_id, seq));
INSERT INTO rooms SELECT 'room' || n FROM generate_series(0, 9) AS n;
SQL
cat >"$data/write.sql" <<'SQL'
\set room random(0, 9)
BEGIN;
WITH next AS (UPDATE rooms SET seq = seq + 1 WHERE id = 'room' || :room RETURNING id, seq)
INSERT INTO messages SELECT id, seq, md5(random()::text), 'b1:1234567890', now()::text FROM next;
COMMIT;
SQL
# The payload is the size of a message frame the bus carries (about 400 bytes).
payload=$(python3 -c "print('x' * 400)")
{ cat "$data/write.sql"; echo "SELECT pg_notify('apus_chat_rooms', '$payload');"; } >"$data/notify.sql"
for clients in 8 1; do
    for _ in 1 2; do
        for script in write notify; do
            tps=$(pgbench -n -c "$clients" -j "$clients" -T "$seconds" -f "$data/$script.sql" 2>/dev/null | awk '/^tps/ {print $3}')
            printf '%-7s %d clients: %8.0f messages/s\n' "$script" "$clients" "$tps"
        done
    done
done
