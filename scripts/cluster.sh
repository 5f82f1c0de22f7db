#!/usr/bin/env bash
# A whole Apus cluster on this machine's loopback, with one command:
#
#   scripts/cluster.sh up                 start what is not running; print the balancer's URL
#   scripts/cluster.sh status [--json]    each component and whether it is up (JSON when asked,
#                                         or when standard output is not a terminal)
#   scripts/cluster.sh rolling-restart    migrate with the current binary, then restart the nodes
#                                         one at a time, each out of rotation while it restarts;
#                                         returns when all are ready
#   scripts/cluster.sh down [--clean]     stop everything (--clean also removes the state)
#   scripts/cluster.sh env                the settings the nodes share, as shell exports, for
#                                         running `apus` commands against the cluster
#
# The cluster: a PostgreSQL primary and a streaming replica (pg_basebackup -R), an S3-compatible
# store (moto's server), three `apus` nodes with every module, a fourth with only `links`, and
# HAProxy (deploy/haproxy/haproxy.cfg) in front: health checks on /health/ready, idempotent
# requests retried on another node, WebSocket upgrades passed through, short-link redirects
# shared between the full nodes and the links-only one.
#
# Everything lives in APUS_CLUSTER_DIR (default .cluster in the repository): data, logs (logs/),
# process ids (run/) and the generated passwords (cluster.env). Ports are chosen on the first
# `up` and kept until `down --clean`:
#
#   APUS_CLUSTER_PORT          8080    the balancer (the cluster's URL)
#   APUS_CLUSTER_NODE_PORT     8081    first node; the others follow (links-only node: 8084)
#   APUS_CLUSTER_PG_PORT       25432   PostgreSQL primary
#   APUS_CLUSTER_REPLICA_PORT  25433   PostgreSQL replica
#   APUS_CLUSTER_S3_PORT       25000   moto's S3 server
#   APUS_CLUSTER_PROXY_ADDR    127.0.0.10   the loopback address the balancer connects to the
#                                           nodes from: their only trusted proxy
#
# The defaults sit below the kernel's ephemeral range, where a client's outgoing connection can
# hold any port for a while; a port another program holds stops `up`, naming that program.
#
# APUS_BIN names the binary (default .build/release/apus, built if missing); `up` and
# `rolling-restart` copy it into the state directory, so a rebuild never touches running nodes.
# The nodes share the database (signing keys and every generated secret live there), the S3
# bucket, APUS_PUBLIC_URL (the balancer), APUS_INVENTORY_PAYMENT_SECRET (generated unless set)
# and APUS_RATE_LIMIT_SHARED (auth,login-email unless set: sign-in limits count cluster-wide).
# Other APUS_* settings in the environment of `up` or `rolling-restart` reach every node (the
# first admin with APUS_ADMIN_EMAIL and APUS_ADMIN_PASSWORD, for instance), except those the
# cluster sets itself. What is missing (PostgreSQL, HAProxy, moto) is installed: Debian packages
# with apt-get, moto from PyPI into .venv.
set -euo pipefail

caller_dir=$(pwd)
cd "$(dirname "$0")/.."
root=$(pwd)

state=${APUS_CLUSTER_DIR:-$root/.cluster}
case $state in /*) ;; *) state=$caller_dir/$state ;; esac
settings_file=$state/cluster.env
logs=$state/logs
run=$state/run

nodes=(node1 node2 node3 links1)
bucket=apus-cluster

say() { printf '%s\n' "$*" >&2; }
die() { say "cluster: $*"; exit 1; }
usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# --- settings -------------------------------------------------------------------------------

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Reads the settings of the cluster in the state directory; `create` makes them from the
# environment (and fresh passwords) when there are none yet.
load_settings() {
    if [ -f "$settings_file" ]; then
        # shellcheck source=/dev/null
        . "$settings_file"
    elif [ "${1:-}" = create ]; then
        mkdir -p "$state"
        (
            umask 077
            {
                echo "# The cluster's settings, chosen on its first start; kept until 'down --clean'."
                printf 'LB_ADDR=%q\n' 127.0.0.1
                printf 'LB_PORT=%q\n' "${APUS_CLUSTER_PORT:-8080}"
                printf 'NODE_PORT=%q\n' "${APUS_CLUSTER_NODE_PORT:-8081}"
                printf 'PG_PORT=%q\n' "${APUS_CLUSTER_PG_PORT:-25432}"
                printf 'REPLICA_PORT=%q\n' "${APUS_CLUSTER_REPLICA_PORT:-25433}"
                printf 'S3_PORT=%q\n' "${APUS_CLUSTER_S3_PORT:-25000}"
                printf 'PROXY_ADDR=%q\n' "${APUS_CLUSTER_PROXY_ADDR:-127.0.0.10}"
                printf 'DB_PASSWORD=%q\n' "$(random_hex 16)"
                printf 'REPLICATION_PASSWORD=%q\n' "$(random_hex 16)"
                printf 'S3_ACCESS_KEY=%q\n' "apus$(random_hex 6)"
                printf 'S3_SECRET_KEY=%q\n' "$(random_hex 20)"
                printf 'PAYMENT_SECRET=%q\n' "whsec_$(random_hex 24)"
            } >"$settings_file"
        )
        # shellcheck source=/dev/null
        . "$settings_file"
    else
        return 1
    fi
    lb_url="http://$LB_ADDR:$LB_PORT"
    s3_url="http://127.0.0.1:$S3_PORT"
    database_url="postgres://apus:$DB_PASSWORD@127.0.0.1:$PG_PORT/apus?sslmode=disable&search_path=apus"
    replica_url="postgres://apus:$DB_PASSWORD@127.0.0.1:$REPLICA_PORT/apus?sslmode=disable&search_path=apus"
    cluster_env
}

node_port() {
    case $1 in
        node1) echo "$NODE_PORT" ;;
        node2) echo $((NODE_PORT + 1)) ;;
        node3) echo $((NODE_PORT + 2)) ;;
        links1) echo $((NODE_PORT + 3)) ;;
    esac
}

# The balancer's backends a node serves in.
node_backends() {
    case $1 in
        links1) echo redirects ;;
        *) echo api redirects sockets ;;
    esac
}

node_modules() {
    case $1 in
        links1) echo links ;;
        *) echo all ;;
    esac
}

# The settings every node shares, as `env` arguments.
cluster_env() {
    cluster_env=(
        APUS_DATABASE_URL="$database_url"
        APUS_DATABASE_REPLICA_URLS="$replica_url"
        APUS_PUBLIC_URL="$lb_url"
        APUS_TRUSTED_PROXIES="$PROXY_ADDR"
        APUS_OBJECTS_URL="s3://$bucket?endpoint=$s3_url&region=us-east-1"
        APUS_OBJECTS_ACCESS_KEY="$S3_ACCESS_KEY"
        APUS_OBJECTS_SECRET_KEY="$S3_SECRET_KEY"
        APUS_INVENTORY_PAYMENT_SECRET="${APUS_INVENTORY_PAYMENT_SECRET:-$PAYMENT_SECRET}"
        APUS_RATE_LIMIT_SHARED="${APUS_RATE_LIMIT_SHARED-auth,login-email}"
        APUS_LOG_FORMAT=json
        # Four nodes share the machine's cores: handlers on the event loops, without a pool each,
        # and one loop each (a loop per core in every node had four times the cores' threads).
        APUS_EXECUTOR="${APUS_EXECUTOR:-event-loops}"
        APUS_EVENT_LOOPS="${APUS_EVENT_LOOPS:-1}"
    )
}

# --- processes ------------------------------------------------------------------------------

# The pid in `file` if that process is alive and its command line mentions `hint`.
live_pid() {
    local file=$1 hint=$2 pid
    [ -f "$file" ] || return 1
    pid=$(head -n 1 "$file" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$hint" || return 1
    echo "$pid"
}

# Sends SIGTERM and waits `seconds` for the process to go, then SIGKILL.
stop_pid() {
    local pid=$1 seconds=$2 waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge $((seconds * 10)) ]; then
            say "  pid $pid did not stop within ${seconds}s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# Waits until `check` succeeds, for `seconds` at most; fails early when the process of
# `pidfile`/`hint` is gone.
wait_for() {
    local what=$1 seconds=$2 pidfile=$3 hint=$4 log=$5
    shift 5
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if ! live_pid "$pidfile" "$hint" >/dev/null; then
            say "cluster: $what exited; the end of $log:"
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "cluster: $what not ready after ${seconds}s; the end of $log:"
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
}

# Stops `up` before a component starts on a port another program holds (listening, or bound by
# an outgoing connection), naming the holder: the component's own error says only "in use".
port_free() {
    local what=$1 port=$2 held
    held=$(python3 -c '
import socket, sys
try:
    with socket.socket() as s:
        # As the servers bind: a connection of their own in TIME-WAIT does not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    print(e.strerror)
' "$port")
    [ -z "$held" ] && return 0
    say "cluster: port $port, for $what, is taken ($held); what holds it:"
    ss -tanp "( sport = :$port )" 2>/dev/null | grep -v TIME-WAIT | tail -n +2 | head -n 5 >&2 || true
    die "free the port, or choose others (the APUS_CLUSTER_*_PORT settings) in a new cluster directory"
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true; }

# --- what the cluster needs -----------------------------------------------------------------

pg_bin() {
    if [ -n "${APUS_CLUSTER_PG_BIN:-}" ]; then
        echo "$APUS_CLUSTER_PG_BIN"
    elif [ -f "$state/pg/primary/PG_VERSION" ]; then
        echo "/usr/lib/postgresql/$(cat "$state/pg/primary/PG_VERSION")/bin"
    else
        find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname
    fi
}

moto_requirement() {
    grep -E '^moto' "$root/conformance/requirements.txt" 2>/dev/null || echo 'moto[server]'
}

install_requirements() {
    local packages=()
    [ -n "$(pg_bin)" ] || packages+=(postgresql)
    command -v haproxy >/dev/null || packages+=(haproxy)
    command -v curl >/dev/null || packages+=(curl)
    command -v python3 >/dev/null || packages+=(python3)
    if [ ! -x "$root/.venv/bin/python" ] && ! python3 -c 'import ensurepip' 2>/dev/null; then
        packages+=(python3-venv)
    fi
    if [ ${#packages[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || die "missing ${packages[*]}: install them (apt-get install ${packages[*]}) or run as root"
        say "installing ${packages[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${packages[@]}" >/dev/null
    fi
    [ -n "$(pg_bin)" ] || die "no PostgreSQL binaries under /usr/lib/postgresql (set APUS_CLUSTER_PG_BIN)"
    if [ ! -x "$root/.venv/bin/moto_server" ]; then
        say "installing $(moto_requirement) into .venv"
        [ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
        "$root/.venv/bin/pip" install -q --disable-pip-version-check "$(moto_requirement)"
    fi
}

# Copies the binary into the state directory, building it first if there is none.
install_binary() {
    local bin=${APUS_BIN:-$root/.build/release/apus}
    case $bin in /*) ;; *) bin=$caller_dir/$bin ;; esac
    if [ ! -x "$bin" ]; then
        [ -z "${APUS_BIN:-}" ] || die "APUS_BIN=$bin is not an executable"
        say "building apus (release)"
        swift build -c release --product apus
    fi
    mkdir -p "$state/bin"
    cp "$bin" "$state/bin/apus.new"
    chmod 755 "$state/bin/apus.new"
    mv -f "$state/bin/apus.new" "$state/bin/apus"
}

# --- PostgreSQL -----------------------------------------------------------------------------

# PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_prepare_dirs() {
    mkdir -p "$state/pg/run" "$logs"
    touch "$logs/pg-primary.log" "$logs/pg-replica.log"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$state/pg" "$state/pg/run" "$logs/pg-primary.log" "$logs/pg-replica.log"
        runuser -u postgres -- test -w "$state/pg" ||
            die "the postgres user cannot reach $state/pg: set APUS_CLUSTER_DIR to a directory it can reach"
    fi
    chmod 700 "$state/pg/run"
}

psql_primary() {
    as_pg "$(pg_bin)/psql" -h "$state/pg/run" -p "$PG_PORT" -U postgres -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

pg_running() { as_pg "$(pg_bin)/pg_ctl" -D "$1" status >/dev/null 2>&1; }

pg_start() {
    local dir=$1 port=$2 log=$3
    pg_running "$dir" && return 0
    as_pg "$(pg_bin)/pg_ctl" -D "$dir" -o "-p $port" -l "$log" -w -t 60 start >/dev/null ||
        { tail -n 20 "$log" >&2; die "PostgreSQL in $dir did not start"; }
}

start_primary() {
    local dir=$state/pg/primary
    if [ -d "$dir" ] && [ ! -f "$state/pg/primary.done" ]; then
        # A first start that did not finish: begin again.
        as_pg "$(pg_bin)/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$dir"
    fi
    if [ ! -d "$dir" ]; then
        say "creating the PostgreSQL primary"
        as_pg "$(pg_bin)/initdb" -D "$dir" -U postgres -E UTF8 --no-locale \
            --auth-local=trust --auth-host=scram-sha-256 >>"$logs/pg-primary.log"
        cat >>"$dir/postgresql.conf" <<EOF

# scripts/cluster.sh (the port is given at start)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$state/pg/run'
max_connections = 200
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
EOF
        port_free "the PostgreSQL primary" "$PG_PORT"
        pg_start "$dir" "$PG_PORT" "$logs/pg-primary.log"
        psql_primary -d postgres <<EOF
CREATE ROLE apus LOGIN PASSWORD '$DB_PASSWORD';
CREATE ROLE apus_replicator REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD';
CREATE DATABASE apus OWNER apus;
\connect apus
CREATE SCHEMA apus AUTHORIZATION apus;
EOF
        touch "$state/pg/primary.done"
    fi
    pg_running "$dir" || port_free "the PostgreSQL primary" "$PG_PORT"
    say "starting the PostgreSQL primary on 127.0.0.1:$PG_PORT"
    pg_start "$dir" "$PG_PORT" "$logs/pg-primary.log"
}

start_replica() {
    local dir=$state/pg/replica
    if [ -d "$dir" ] && [ ! -f "$state/pg/replica.done" ]; then
        as_pg "$(pg_bin)/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$dir"
    fi
    if [ ! -d "$dir" ]; then
        say "creating the streaming replica (pg_basebackup -R)"
        psql_primary -d postgres -c "SELECT pg_drop_replication_slot('apus_replica') FROM pg_replication_slots WHERE slot_name = 'apus_replica'" >/dev/null
        PGPASSWORD=$REPLICATION_PASSWORD as_pg "$(pg_bin)/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U apus_replicator \
            -D "$dir" -R -X stream -C -S apus_replica -c fast >>"$logs/pg-replica.log" 2>&1 ||
            { tail -n 20 "$logs/pg-replica.log" >&2; die "pg_basebackup failed"; }
        touch "$state/pg/replica.done"
    fi
    pg_running "$dir" || port_free "the PostgreSQL replica" "$REPLICA_PORT"
    say "starting the PostgreSQL replica on 127.0.0.1:$REPLICA_PORT"
    pg_start "$dir" "$REPLICA_PORT" "$logs/pg-replica.log"
}

# --- the S3 store ---------------------------------------------------------------------------

start_s3() {
    local pidfile=$run/s3.pid log=$logs/s3.log
    if ! live_pid "$pidfile" moto_server >/dev/null; then
        port_free "moto's S3 server" "$S3_PORT"
        say "starting moto's S3 server on $s3_url"
        setsid "$root/.venv/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >>"$log" 2>&1 </dev/null &
        echo $! >"$pidfile"
        wait_for "the S3 server" 60 "$pidfile" moto_server "$log" http_ok "$s3_url/moto-api/"
    fi
    # moto keeps buckets in memory: make the bucket every time (200, or 409 when it exists).
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT "$s3_url/$bucket")
    case $code in 200 | 409) ;; *) die "cannot create the bucket $bucket ($code)" ;; esac
}

# --- the nodes ------------------------------------------------------------------------------

start_node() {
    local name=$1 port pidfile=$run/$1.pid log=$logs/$1.log
    port=$(node_port "$name")
    live_pid "$pidfile" "apus serve" >/dev/null && return 0
    mkdir -p "$state/nodes/$name"
    port_free "$name" "$port"
    say "starting $name on 127.0.0.1:$port (modules: $(node_modules "$name"))"
    local modules=(-u APUS_MODULES)
    [ "$(node_modules "$name")" = all ] || modules=(APUS_MODULES="$(node_modules "$name")")
    # A simple command in the background (env and setsid exec): $! is the node itself.
    env "${modules[@]}" "${cluster_env[@]}" APUS_HOST=127.0.0.1 APUS_PORT="$port" APUS_DATA_DIR="$state/nodes/$name" \
        setsid "$state/bin/apus" serve --no-migrate >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

wait_node_ready() {
    local name=$1
    wait_for "$name" 60 "$run/$name.pid" "apus serve" "$logs/$name.log" http_ok "http://127.0.0.1:$(node_port "$name")/health/ready"
}

stop_node() {
    local name=$1 pid
    pid=$(live_pid "$run/$name.pid" "apus serve") || return 0
    # The node drains for APUS_SHUTDOWN_GRACE (10 s by default) before closing what is left.
    stop_pid "$pid" $((${APUS_SHUTDOWN_GRACE:-10} + 10))
}

migrate() {
    say "applying migrations"
    env "${cluster_env[@]}" "$state/bin/apus" migrate >>"$logs/migrate.log" 2>&1 ||
        { tail -n 20 "$logs/migrate.log" >&2; die "apus migrate failed"; }
}

# --- the balancer ---------------------------------------------------------------------------

# What deploy/haproxy/haproxy.cfg reads from its environment, as `env` arguments.
haproxy_env() {
    haproxy_env=(
        APUS_CLUSTER_LB_ADDR="$LB_ADDR" APUS_CLUSTER_LB_PORT="$LB_PORT" APUS_CLUSTER_PROXY_ADDR="$PROXY_ADDR"
        APUS_CLUSTER_NODE1_PORT="$(node_port node1)" APUS_CLUSTER_NODE2_PORT="$(node_port node2)"
        APUS_CLUSTER_NODE3_PORT="$(node_port node3)" APUS_CLUSTER_LINKS_PORT="$(node_port links1)"
        APUS_CLUSTER_RUN="$run"
    )
}

# Commands (separated by ';') on HAProxy's runtime API.
haproxy_api() {
    python3 - "$run/haproxy.sock" "$1" <<'EOF'
import socket, sys
with socket.socket(socket.AF_UNIX) as sock:
    sock.settimeout(5)
    sock.connect(sys.argv[1])
    sock.sendall(sys.argv[2].encode() + b"\n")
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
sys.stdout.write(answer.decode())
EOF
}

# "backend server status current-sessions" per server, from `show stat`.
haproxy_servers() {
    haproxy_api "show stat" 2>/dev/null | awk -F, '$1 !~ /^#/ && $2 != "FRONTEND" && $2 != "BACKEND" && NF > 18 { print $1, $2, $18, $5 }'
}

# Puts a node's servers in every backend it serves in into `state` (maint, drain, ready).
set_server_state() {
    local name=$1 wanted=$2 backend commands=()
    for backend in $(node_backends "$name"); do commands+=("set server $backend/$name state $wanted"); done
    local IFS=';'
    haproxy_api "${commands[*]}" >/dev/null
}


server_sessions() { haproxy_servers | awk -v s="$1" '$2 == s { n += $4 } END { print n + 0 }'; }

# Whether HAProxy has every server of these nodes UP.
servers_up() {
    local servers name backend
    servers=$(haproxy_servers) || return 1
    for name in "$@"; do
        for backend in $(node_backends "$name"); do
            grep -qx "$backend $name UP [0-9]*" <<<"$servers" || return 1
        done
    done
}

start_balancer() {
    local pidfile=$run/balancer.pid log=$logs/balancer.log config=$root/deploy/haproxy/haproxy.cfg name pid sum
    haproxy_env
    env "${haproxy_env[@]}" haproxy -c -q -f "$config" || die "$config does not check"
    sum=$(cksum <"$config")
    if pid=$(live_pid "$pidfile" haproxy); then
        if [ "$sum" != "$(cat "$run/balancer.cksum" 2>/dev/null)" ]; then
            # The configuration changed: the master starts a new worker on it; the old one
            # finishes the connections it has.
            say "reloading the balancer's configuration"
            kill -USR2 "$pid"
            echo "$sum" >"$run/balancer.cksum"
            sleep 1
        fi
        # Put back in rotation any node an interrupted restart left out.
        for name in "${nodes[@]}"; do set_server_state "$name" ready; done
    else
        port_free "the balancer" "$LB_PORT"
        say "starting the balancer (HAProxy) on $lb_url"
        # Master-worker in the foreground: logs go to the state directory, SIGUSR2 reloads.
        env "${haproxy_env[@]}" setsid haproxy -W -db -f "$config" >>"$log" 2>&1 </dev/null &
        echo $! >"$pidfile"
        echo "$sum" >"$run/balancer.cksum"
    fi
    wait_for "the balancer" 30 "$pidfile" haproxy "$log" servers_up "${nodes[@]}"
}

# --- commands -------------------------------------------------------------------------------

cmd_up() {
    load_settings create
    mkdir -p "$logs" "$run"
    install_requirements
    install_binary
    pg_prepare_dirs
    start_primary
    start_replica
    start_s3
    migrate
    # One node first: a node creates the first admin of APUS_ADMIN_EMAIL at start, and two
    # nodes doing it at once may both try (the second then exits with a conflict).
    start_node "${nodes[0]}"
    wait_node_ready "${nodes[0]}"
    local name
    for name in "${nodes[@]:1}"; do start_node "$name"; done
    for name in "${nodes[@]:1}"; do wait_node_ready "$name"; done
    start_balancer
    say "the cluster is up; its logs are in $logs"
    echo "$lb_url"
}

cmd_down() {
    local clean=no pid name
    case ${1:-} in --clean) clean=yes ;; "") ;; *) usage ;; esac
    if load_settings; then
        if pid=$(live_pid "$run/balancer.pid" haproxy); then
            say "stopping the balancer"
            stop_pid "$pid" 5
        fi
        for name in "${nodes[@]}"; do
            if pid=$(live_pid "$run/$name.pid" "apus serve"); then
                say "stopping $name"
                kill -TERM "$pid" 2>/dev/null || true
            fi
        done
        for name in "${nodes[@]}"; do stop_node "$name"; done
        if pid=$(live_pid "$run/s3.pid" moto_server); then
            say "stopping the S3 server"
            # moto's server does not always stop on SIGTERM.
            stop_pid "$pid" 3
        fi
        local dir
        for dir in "$state/pg/replica" "$state/pg/primary"; do
            if [ -d "$dir" ] && pg_running "$dir"; then
                say "stopping PostgreSQL in $dir"
                as_pg "$(pg_bin)/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
            fi
        done
    fi
    if [ "$clean" = yes ] && [ -d "$state" ]; then
        say "removing $state"
        rm -rf "$state"
    fi
}

cmd_rolling_restart() {
    load_settings || die "no cluster in $state: run 'up' first"
    live_pid "$run/balancer.pid" haproxy >/dev/null || die "the balancer is not running: run 'up' first"
    install_binary
    migrate
    local name deadline began stopping
    for name in "${nodes[@]}"; do
        say "restarting $name"
        began=$SECONDS
        # Out of rotation first: the balancer sends it nothing new, then requests in flight end.
        set_server_state "$name" maint
        deadline=$((SECONDS + ${APUS_CLUSTER_DRAIN_WAIT:-5}))
        # Open WebSockets keep sessions; the node closes them (1001) when it stops.
        while [ "$(server_sessions "$name")" -gt 0 ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
        stopping=$SECONDS
        stop_node "$name"
        say "  $name out of rotation after $((stopping - began))s, stopped after $((SECONDS - stopping))s"
        start_node "$name"
        wait_node_ready "$name"
        set_server_state "$name" ready
        wait_for "$name in the balancer" 30 "$run/balancer.pid" haproxy "$logs/balancer.log" servers_up "$name"
        say "  $name back in rotation, $((SECONDS - began))s in all"
    done
    say "every node restarted and ready"
}

json_string() {
    local text=${1//\\/\\\\}
    text=${text//\"/\\\"}
    printf '"%s"' "$text"
}

cmd_status() {
    local format=text
    case ${1:-} in --json) format=json ;; "") [ -t 1 ] || format=json ;; *) usage ;; esac
    local names=() kinds=() pids=() ups=() details=()
    add() { names+=("$1"); kinds+=("$2"); pids+=("$3"); ups+=("$4"); details+=("$5"); }

    if ! load_settings; then
        if [ "$format" = json ]; then
            printf '{"state_dir":%s,"up":false,"components":[]}\n' "$(json_string "$state")"
        else
            echo "no cluster in $state"
        fi
        return 1
    fi

    local pid up detail
    # PostgreSQL
    local bin role
    bin=$(pg_bin)
    for role in primary replica; do
        local dir=$state/pg/$role port=$PG_PORT
        [ "$role" = replica ] && port=$REPLICA_PORT
        pid=$(head -n 1 "$dir/postmaster.pid" 2>/dev/null || true)
        up=false
        detail="127.0.0.1:$port"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
            up=true
            detail+=", accepting connections"
            if [ "$role" = replica ]; then
                local replication
                replication=$(psql_primary -d postgres -F ' ' -c "SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication WHERE application_name <> 'pg_basebackup' LIMIT 1" 2>/dev/null || true)
                if [ -n "$replication" ]; then
                    detail+=", ${replication%% *} from the primary, ${replication#* } bytes behind"
                else
                    up=false
                    detail+=", not replicating"
                fi
            fi
        else
            detail+=", not running"
            pid=""
        fi
        add "pg-$role" postgresql "$pid" "$up" "$detail"
    done

    # S3
    up=false
    detail=$s3_url
    if pid=$(live_pid "$run/s3.pid" moto_server) && http_ok "$s3_url/$bucket"; then
        up=true
        detail+=", bucket $bucket"
    elif [ -n "$pid" ]; then
        detail+=", bucket $bucket missing"
    else
        detail+=", not running"
    fi
    add s3 moto "$pid" "$up" "$detail"

    # Nodes, with their state in the balancer
    local servers="" name code backend
    live_pid "$run/balancer.pid" haproxy >/dev/null && servers=$(haproxy_servers || true)
    for name in "${nodes[@]}"; do
        up=false
        detail="http://127.0.0.1:$(node_port "$name"), modules: $(node_modules "$name")"
        if pid=$(live_pid "$run/$name.pid" "apus serve"); then
            code=$(http_code "http://127.0.0.1:$(node_port "$name")/health/ready")
            detail+=", /health/ready $code"
            [ "$code" = 200 ] && up=true
        else
            detail+=", not running"
        fi
        if [ -n "$servers" ]; then
            for backend in $(node_backends "$name"); do
                detail+=", $backend $(awk -v b="$backend" -v s="$name" '$1 == b && $2 == s { print $3 }' <<<"$servers")"
            done
        fi
        add "$name" apus "$pid" "$up" "$detail"
    done

    # Balancer
    up=false
    detail=$lb_url
    if pid=$(live_pid "$run/balancer.pid" haproxy); then
        code=$(http_code "$lb_url/health/ready")
        detail+=", /health/ready $code"
        [ "$code" = 200 ] && up=true
    else
        detail+=", not running"
    fi
    add balancer haproxy "$pid" "$up" "$detail"

    local all=true i
    for i in "${!names[@]}"; do [ "${ups[$i]}" = true ] || all=false; done
    if [ "$format" = json ]; then
        printf '{"state_dir":%s,"url":%s,"up":%s,"components":[' "$(json_string "$state")" "$(json_string "$lb_url")" "$all"
        for i in "${!names[@]}"; do
            [ "$i" -eq 0 ] || printf ','
            printf '{"name":%s,"kind":%s,"pid":%s,"up":%s,"detail":%s}' \
                "$(json_string "${names[$i]}")" "$(json_string "${kinds[$i]}")" "${pids[$i]:-null}" "${ups[$i]}" "$(json_string "${details[$i]}")"
        done
        printf ']}\n'
    else
        printf '%-11s %-8s %-5s %s\n' component pid up detail
        for i in "${!names[@]}"; do
            printf '%-11s %-8s %-5s %s\n' "${names[$i]}" "${pids[$i]:--}" "$([ "${ups[$i]}" = true ] && echo yes || echo no)" "${details[$i]}"
        done
        echo "state: $state"
    fi
    [ "$all" = true ]
}

cmd_env() {
    load_settings || die "no cluster in $state: run 'up' first"
    env -i "${cluster_env[@]}" | grep -E '^APUS_(DATABASE_URL|PUBLIC_URL|TRUSTED_PROXIES|OBJECTS_|INVENTORY_PAYMENT_SECRET|RATE_LIMIT_SHARED)' |
        while IFS= read -r line; do printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"; done
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
    up) [ $# -eq 0 ] || usage; cmd_up ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    rolling-restart) [ $# -eq 0 ] || usage; cmd_rolling_restart ;;
    env) [ $# -eq 0 ] || usage; cmd_env ;;
    *) usage ;;
esac
