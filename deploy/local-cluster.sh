#!/usr/bin/env bash
# A whole fnhost cluster on this machine's loopback, to see one work: a throwaway PostgreSQL (the
# shared store), N `fnhost up` nodes serving the bundled examples (fnhost.toml at the repo root)
# and HAProxy in front of them, balancing the HTTP routes and the admin API (Lambda API, console)
# over the nodes and health-checking each on /.well-known/fnhost/health. Prints the URLs, then
# runs until Ctrl-C, which stops everything and removes the temporary directory.
#
# usage: bash deploy/local-cluster.sh [--nodes N] [--port PORT] [--admin-port PORT]
#                                     [--stats-port PORT] [-f MANIFEST] [--no-build]
#
#   --nodes N          fnhost nodes (default 3)
#   --port PORT        HAProxy's HTTP front: the functions' routes (default 8080)
#   --admin-port PORT  HAProxy's admin front: Lambda API, /metrics, console (default 9000)
#   --stats-port PORT  HAProxy's stats page (default 8404)
#   -f MANIFEST        the manifest every node serves (default fnhost.toml at the repo root); its
#                      buckets are directories beside it, which all nodes share
#   --no-build         use target/release/fnhost and the functions as they are
#
# Environment:
#   FNHOST_ACCESS_KEY_ID, FNHOST_SECRET_ACCESS_KEY  admin credentials (default: random, printed)
#   DRAIN_DELAY_S=2    each node's --drain-delay-s: how long a node on SIGTERM keeps serving
#                      while HAProxy takes it out (at least two health-check intervals of 500 ms)
#   FNHOST_PG_BIN      PostgreSQL's server binaries (default as .ci/postgres.sh finds them)
#   FNHOST_PG_USER     the user PostgreSQL runs as when this runs as root (default nobody)
#   READY_TIMEOUT=120  seconds each part may take to become ready
#   FNHOST_BIN         the fnhost binary to run (default target/release/fnhost, built first
#                      unless --no-build)
#
# Try a rolling restart while it runs: `kill -TERM <pid of a node>` (printed). The node drains
# (HAProxy's stats page shows it DOWN within a second) and exits; the script starts it again on
# the same addresses and HAProxy brings it back after two good health checks.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODES=3
PORT=8080
ADMIN_PORT=9000
STATS_PORT=8404
MANIFEST=$ROOT/fnhost.toml
BUILD=1
DRAIN_DELAY_S=${DRAIN_DELAY_S:-2}
READY_TIMEOUT=${READY_TIMEOUT:-120}
FNHOST=${FNHOST_BIN:-$ROOT/target/release/fnhost}
HEALTH=/.well-known/fnhost/health

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'local-cluster.sh: %s\n' "$*" >&2; exit 1; }

number() {
    [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3 && $2 <= $4)) || die "$1 must be a number from $3 to $4, got '$2'"
}

while (($#)); do
    case $1 in
        --nodes) NODES=${2:?--nodes needs a number}; shift 2 ;;
        --nodes=*) NODES=${1#--nodes=}; shift ;;
        --port) PORT=${2:?--port needs a port}; shift 2 ;;
        --port=*) PORT=${1#--port=}; shift ;;
        --admin-port) ADMIN_PORT=${2:?--admin-port needs a port}; shift 2 ;;
        --admin-port=*) ADMIN_PORT=${1#--admin-port=}; shift ;;
        --stats-port) STATS_PORT=${2:?--stats-port needs a port}; shift 2 ;;
        --stats-port=*) STATS_PORT=${1#--stats-port=}; shift ;;
        -f | --manifest) MANIFEST=${2:?$1 needs a path}; shift 2 ;;
        --manifest=*) MANIFEST=${1#--manifest=}; shift ;;
        --no-build) BUILD=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "local-cluster.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
number --nodes "$NODES" 1 32
number --port "$PORT" 1 65535
number --admin-port "$ADMIN_PORT" 1 65535
number --stats-port "$STATS_PORT" 1 65535
number DRAIN_DELAY_S "$DRAIN_DELAY_S" 0 300
(($(printf '%s\n' "$PORT" "$ADMIN_PORT" "$STATS_PORT" | sort -u | wc -l) == 3)) ||
    die "--port, --admin-port and --stats-port must differ"
[[ -f $MANIFEST ]] || die "no manifest at $MANIFEST"
MANIFEST=$(cd "$(dirname "$MANIFEST")" && pwd)/$(basename "$MANIFEST")

# --- tools ---------------------------------------------------------------------------------------

for tool in curl python3 haproxy; do
    command -v "$tool" >/dev/null || die "$tool is missing (bash .ci/postgres.sh installs haproxy and postgresql)"
done

# PostgreSQL's server binaries, found as .ci/postgres.sh and host/testpg find them.
pg_bin() {
    if [[ -n ${FNHOST_PG_BIN:-} ]]; then
        echo "$FNHOST_PG_BIN"
        return
    fi
    local dir best=""
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [[ -n $dir && -x $dir/postgres && -x $dir/initdb ]]; then
        echo "$dir"
        return
    fi
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
        if [[ -x $dir/postgres && -x $dir/initdb ]]; then best=$dir; fi
    done
    echo "$best"
}
PG_BIN=$(pg_bin)
[[ -n $PG_BIN && -x $PG_BIN/postgres && -x $PG_BIN/initdb ]] ||
    die "PostgreSQL's server is missing (bash .ci/postgres.sh installs it; or set FNHOST_PG_BIN)"

# PostgreSQL refuses to run as root: as root, its commands run as FNHOST_PG_USER (nobody).
PG_AS=()
if ((EUID == 0)); then
    PG_USER=${FNHOST_PG_USER:-nobody}
    id "$PG_USER" >/dev/null 2>&1 || die "no user '$PG_USER' to run PostgreSQL as (set FNHOST_PG_USER)"
    PG_AS=(setpriv --reuid="$(id -u "$PG_USER")" --regid="$(id -g "$PG_USER")" --clear-groups --)
fi

# --- builds --------------------------------------------------------------------------------------

if ((BUILD)) && [[ -z ${FNHOST_BIN:-} ]]; then
    log "building fnhost (cargo build --release -p fnhost)"
    (cd "$ROOT" && cargo build --release -p fnhost)
fi
[[ -x $FNHOST ]] || die "$FNHOST is missing (run without --no-build)"
# Python and JS examples are packaged with the tools .ci/guests.sh installs, as .ci/up does.
export FNHOST_TOOLS_DIR=${FNHOST_TOOLS_DIR:-$ROOT/target/guest-tools}
# The manifest's own state directory: the nodes share its compiled artifacts, packaged Python
# and JavaScript functions and source index (symbolic links), each with a database-free state
# directory of its own for the rest.
SHARED_STATE=${FNHOST_STATE_DIR:-$(dirname "$MANIFEST")/.fnhost}
if ((BUILD)); then
    # Built and packaged once here, so that the nodes start with --no-build, not N builds racing.
    log "building the functions of ${MANIFEST#"$ROOT"/} (fnhost build)"
    "$FNHOST" -f "$MANIFEST" --state-dir "$SHARED_STATE" build ||
        die "fnhost build failed (bash .ci/guests.sh installs the guest toolchains)"
fi

# --- processes -----------------------------------------------------------------------------------

# Everything lives here; removed on exit. Readable by the PostgreSQL user, which must reach its
# data directory.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-cluster.XXXXXX")
chmod 755 "$TMP"
# name -> pid; each started with setsid, so its pid is its process group.
declare -A PID=()
STOPPING=0

# stop_group NAME SIGNAL: signal NAME's process group; no-op when it is gone.
stop_group() {
    local pid=${PID[$1]:-}
    [[ -n $pid ]] && kill "-$2" -- "-$pid" 2>/dev/null || true
}

# wait_gone NAME SECONDS: wait for NAME's process to exit, SIGKILL its group after SECONDS.
wait_gone() {
    local pid=${PID[$1]:-} i
    [[ -n $pid ]] || return 0
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "PID[$1]"
}

cleanup() {
    local status=$? name
    trap - EXIT INT TERM
    STOPPING=1
    if ((${#PID[@]})); then log "stopping"; fi
    # HAProxy first (clients see it go, not nodes going one by one), then the nodes: a first
    # SIGTERM starts a node's drain, a second ends its drain delay, in-flight requests finish.
    stop_group haproxy TERM
    wait_gone haproxy 5
    local nodes=()
    for name in "${!PID[@]}"; do
        if [[ $name == node* ]]; then nodes+=("$name"); fi
    done
    for name in "${nodes[@]}"; do stop_group "$name" TERM; done
    sleep 0.2
    for name in "${nodes[@]}"; do stop_group "$name" TERM; done
    for name in "${nodes[@]}"; do wait_gone "$name" 40; done
    # PostgreSQL last, with a fast shutdown (SIGINT: sessions end, checkpoint, exit).
    stop_group postgres INT
    wait_gone postgres 30
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

for port in "$PORT" "$ADMIN_PORT" "$STATS_PORT"; do
    port_free "$port" || die "127.0.0.1:$port is in use (pick others with --port, --admin-port, --stats-port)"
done

# failed NAME LOGFILE WHY: show the end of the log and stop.
failed() {
    echo "---- $1: $2 ----" >&2
    tail -n 40 "$2" >&2 || true
    die "$1: $3"
}

# await NAME LOGFILE CHECK...: run CHECK until it succeeds, while NAME's process lives.
await() {
    local name=$1 logfile=$2 deadline=$((SECONDS + READY_TIMEOUT))
    shift 2
    until "$@" >/dev/null 2>&1; do
        kill -0 "${PID[$name]}" 2>/dev/null || failed "$name" "$logfile" "exited before it was ready"
        ((SECONDS < deadline)) || failed "$name" "$logfile" "not ready after ${READY_TIMEOUT}s"
        sleep 0.1
    done
}

# --- PostgreSQL ----------------------------------------------------------------------------------

PG_DIR=$TMP/postgres
PG_PORT=$(free_port)
PG_LOG=$TMP/postgres.log
mkdir -p "$PG_DIR"
((${#PG_AS[@]})) && chown "$(id -u "$PG_USER"):$(id -g "$PG_USER")" "$PG_DIR"
log "PostgreSQL: initdb in $PG_DIR ($("$PG_BIN/postgres" --version))"
# The superuser `fnhost` without a password, trusted on loopback only (listen_addresses below).
(cd "$PG_DIR" && "${PG_AS[@]}" "$PG_BIN/initdb" --pgdata "$PG_DIR/data" --username fnhost \
    --auth trust --encoding UTF8 --locale C --no-sync) >"$TMP/initdb.log" 2>&1 ||
    failed initdb "$TMP/initdb.log" "initdb failed"
: >"$PG_LOG"
((${#PG_AS[@]})) && chown "$(id -u "$PG_USER")" "$PG_LOG"
# A throwaway cluster: durability settings off (it is deleted on exit). Each node pools 16
# connections; the queue and the LISTEN connection take a few more.
(cd "$PG_DIR" && exec setsid "${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" \
    -c listen_addresses=127.0.0.1 -c "unix_socket_directories=$PG_DIR" \
    -c fsync=off -c full_page_writes=off -c synchronous_commit=off \
    -c "max_connections=$((40 + 24 * NODES))" -c logging_collector=off) >>"$PG_LOG" 2>&1 &
PID[postgres]=$!
await postgres "$PG_LOG" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U fnhost -d postgres
"${PG_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U fnhost fnhost ||
    failed postgres "$PG_LOG" "createdb failed"
STORE=postgres://fnhost@127.0.0.1:$PG_PORT/fnhost

# --- fnhost nodes --------------------------------------------------------------------------------

if [[ -z ${FNHOST_ACCESS_KEY_ID:-} || -z ${FNHOST_SECRET_ACCESS_KEY:-} ]]; then
    FNHOST_ACCESS_KEY_ID=AKIA$(python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)))')
    FNHOST_SECRET_ACCESS_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')
fi
export FNHOST_ACCESS_KEY_ID FNHOST_SECRET_ACCESS_KEY
# The variables the flags below replace: a node takes nothing from the caller's environment.
unset FNHOST_LISTEN FNHOST_ADMIN FNHOST_STORE FNHOST_STATE_DIR FNHOST_NODE FNHOST_MANIFEST \
    FNHOST_DRAIN_DELAY_S FNHOST_TMP_DIR

declare -A HTTP=() ADMIN=() STARTED=()

start_node() {
    local i=$1 name=node$1 logfile=$TMP/node$1.log cmd
    # A node started again keeps its addresses (HAProxy's configuration names them).
    [[ -n ${HTTP[$name]:-} ]] || HTTP[$name]=127.0.0.1:$(free_port)
    [[ -n ${ADMIN[$name]:-} ]] || ADMIN[$name]=127.0.0.1:$(free_port)
    mkdir -p "$TMP/$name/state" "$SHARED_STATE"
    for sub in artifacts packages sources; do
        mkdir -p "$SHARED_STATE/$sub"
        ln -sfn "$SHARED_STATE/$sub" "$TMP/$name/state/$sub"
    done
    cmd=("$FNHOST" -f "$MANIFEST" up --no-build -q --node "$name" --store "$STORE"
        --state-dir "$TMP/$name/state" --listen "${HTTP[$name]}" --admin "${ADMIN[$name]}"
        --drain-delay-s "$DRAIN_DELAY_S")
    printf '# %s: %s\n' "$(date -u +%FT%TZ)" "${cmd[*]@Q}" >>"$logfile"
    (cd "$(dirname "$MANIFEST")" && exec setsid "${cmd[@]}") >>"$logfile" 2>&1 &
    PID[$name]=$!
    STARTED[$name]=$SECONDS
}

node_ready() {
    curl -fsS -o /dev/null --max-time 2 "http://${HTTP[$1]}$HEALTH"
}

# The first node applies the store's migrations; the others start once it is up.
log "starting $NODES fnhost node(s) on $STORE"
start_node 1
await node1 "$TMP/node1.log" node_ready node1
for ((i = 2; i <= NODES; i++)); do
    start_node "$i"
done
for ((i = 2; i <= NODES; i++)); do
    await "node$i" "$TMP/node$i.log" node_ready "node$i"
done

# --- HAProxy -------------------------------------------------------------------------------------

CFG=$TMP/haproxy.cfg
HAPROXY_LOG=$TMP/haproxy.log
HAPROXY_NODES=()
for ((i = 1; i <= NODES; i++)); do
    HAPROXY_NODES+=("node$i=${HTTP[node$i]},${ADMIN[node$i]}")
done
bash "$ROOT/deploy/haproxy-cfg.sh" --port "$PORT" --admin-port "$ADMIN_PORT" \
    --stats-port "$STATS_PORT" --socket "$TMP/haproxy.sock" "${HAPROXY_NODES[@]}" >"$CFG"
haproxy -c -q -f "$CFG" >"$HAPROXY_LOG" 2>&1 || failed haproxy "$HAPROXY_LOG" "$CFG is invalid"
log "starting HAProxy ($(haproxy -v | head -n 1 | cut -d' ' -f1-3))"
setsid haproxy -W -db -f "$CFG" >>"$HAPROXY_LOG" 2>&1 &
PID[haproxy]=$!

# All servers of both backends UP (a node is UP after `rise` good checks).
all_up() {
    local up
    up=$(curl -fsS --max-time 2 "http://127.0.0.1:$STATS_PORT/;csv" |
        awk -F, '$1 ~ /^nodes_/ && $2 ~ /^node/ && $18 == "UP"' | wc -l)
    ((up == 2 * NODES))
}
await haproxy "$HAPROXY_LOG" all_up
curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$PORT/hello" ||
    failed haproxy "$HAPROXY_LOG" "GET http://127.0.0.1:$PORT/hello through HAProxy failed"

# --- ready ---------------------------------------------------------------------------------------

cat <<EOF

fnhost cluster: $NODES node(s) behind HAProxy, store $STORE
  functions (HAProxy)   http://127.0.0.1:$PORT/hello?name=Ada
  Lambda API (HAProxy)  http://127.0.0.1:$ADMIN_PORT   (AWS_ACCESS_KEY_ID=$FNHOST_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$FNHOST_SECRET_ACCESS_KEY AWS_REGION=us-east-1)
  console (HAProxy)     http://127.0.0.1:$ADMIN_PORT/console/
  HAProxy stats         http://127.0.0.1:$STATS_PORT/   (runtime API: $TMP/haproxy.sock)
  PostgreSQL            $STORE   (psql $STORE)
EOF
for ((i = 1; i <= NODES; i++)); do
    printf '  node%-2s pid %-8s http://%s  admin http://%s  console http://%s/console/  log %s\n' \
        "$i" "${PID[node$i]}" "${HTTP[node$i]}" "${ADMIN[node$i]}" "${ADMIN[node$i]}" "$TMP/node$i.log"
done
cat <<EOF
  haproxy.cfg           $CFG
Buckets are the directories beside ${MANIFEST#"$ROOT"/}, shared by every node. \`kill -TERM <pid>\`
drains a node: HAProxy takes it out within a second, it exits, and is started again here.
Ctrl-C stops everything.
EOF

# Until Ctrl-C, as a supervisor: a node that exits (`kill -TERM` one to see it drain) is
# started again on the same addresses, so a rolling restart is one `kill` per node; one that
# fails within 10 s of its start is left down. The store or HAProxy exiting ends the cluster.
while true; do
    for name in "${!PID[@]}"; do
        kill -0 "${PID[$name]}" 2>/dev/null && continue
        case $name in
            node*)
                status=0
                wait "${PID[$name]}" 2>/dev/null || status=$?
                if ((status != 0 && SECONDS - STARTED[$name] < 10)); then
                    tail -n 20 "$TMP/$name.log" >&2
                    log "$name (pid ${PID[$name]}) failed with status $status within 10 s of its start; left down (log: $TMP/$name.log)"
                    unset "PID[$name]"
                else
                    start_node "${name#node}"
                    log "$name exited with status $status; started again as pid ${PID[$name]}"
                fi
                ;;
            *) failed "$name" "$TMP/$name.log" "exited" ;;
        esac
    done
    sleep 0.5
done
