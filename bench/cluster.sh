#!/usr/bin/env bash
# HTTP throughput of an fnhost cluster through HAProxy with 1, 2 and 3 nodes in rotation, and the
# latency HAProxy adds, measured with wrk on loopback. The cluster is deploy/local-cluster.sh's
# (a throwaway PostgreSQL store, 3 `fnhost up` nodes, HAProxy health-checking them); all nodes run
# throughout and HAProxy's runtime API puts the ones not measured in maintenance, so the runs
# differ only in how many nodes take requests. `direct` is node1 without HAProxy: against
# `haproxy-1` (HAProxy with node1 alone) it gives what the extra hop costs. Rounds alternate
# between setups for each connection count because the machine is shared and noisy; the table
# shows medians over rounds.
#
# On one machine every node, HAProxy and wrk share the same cores: more nodes add no CPU, so
# the ratios show the cost of the balancing (and any per-node serialization), not scale-out.
#
# usage: bench/cluster.sh [--only direct,haproxy-1,haproxy-2,haproxy-3]
#
# Environment:
#   DURATION=10        seconds per wrk run
#   ROUNDS=2           rounds per setup and connection count (median reported)
#   CONNS="1 16 64"    connection counts (1: the latency of one request at a time)
#   THREADS=2          wrk threads
#   WARMUP=2           seconds of unrecorded wrk load per setup before the first round (0: none)
#   FNHOST_ROUTE       path requested (default: /hello, the bundled hello function)
#   SKIP_BUILD=1       use the existing builds (no cargo build, no fnhost build)
#
# Raw wrk output and the table go to bench/out/cluster-<timestamp>.txt.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-"1 16 64"}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2}
FNHOST_ROUTE=${FNHOST_ROUTE:-/hello}
SKIP_BUILD=${SKIP_BUILD:-0}
NODES=3
EXPECTED_MESSAGE='Hello, World! This is your first AWS Lambda function.'
ALL_SETUPS=(direct haproxy-1 haproxy-2 haproxy-3)
ONLY=$(IFS=,; echo "${ALL_SETUPS[*]}")

parse_only "$@"

selected=$(select_only setup "${ALL_SETUPS[@]}")
mapfile -t SETUPS <<<"$selected"

# --- tools ---------------------------------------------------------------------------------------

need_tools curl python3 cargo
ensure_wrk
command -v haproxy >/dev/null || bash "$ROOT/.ci/postgres.sh"

# --- the cluster ---------------------------------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-cluster-bench.XXXXXX")
CLUSTER_PID=""

cleanup() {
    if [[ -n $CLUSTER_PID ]]; then
        stop_pids 60 "$CLUSTER_PID"
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FRONT_PORT=$(free_port)
cluster_args=(--nodes "$NODES" --port "$FRONT_PORT" --admin-port "$(free_port)" --stats-port "$(free_port)")
((SKIP_BUILD == 1)) && cluster_args+=(--no-build)
log "starting deploy/local-cluster.sh ${cluster_args[*]}"
setsid bash "$ROOT/deploy/local-cluster.sh" "${cluster_args[@]}" >"$TMP/cluster.log" 2>&1 &
CLUSTER_PID=$!
deadline=$((SECONDS + 900))
until grep -q '^Ctrl-C stops everything' "$TMP/cluster.log"; do
    if ! kill -0 "$CLUSTER_PID" 2>/dev/null || ((SECONDS > deadline)); then
        tail -n 40 "$TMP/cluster.log" >&2
        die "deploy/local-cluster.sh did not come up"
    fi
    sleep 0.2
done
SOCK=$(sed -n 's/.*(runtime API: \(.*\))$/\1/p' "$TMP/cluster.log")
NODE1=$(sed -n 's#^  node1 .* http://\([^ ]*\)  admin .*#\1#p' "$TMP/cluster.log")
[[ -S $SOCK && -n $NODE1 ]] || { cat "$TMP/cluster.log" >&2; die "cannot read the cluster's addresses"; }

# hap COMMAND: one command on HAProxy's runtime API, its answer on stdout.
hap() {
    python3 - "$SOCK" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while chunk := s.recv(65536):
    out += chunk
sys.stdout.write(out.decode())
EOF
}

# in_rotation N: nodes 1..N of the HTTP backend take requests, the others are in maintenance;
# waits until HAProxy reports exactly that.
in_rotation() {
    local n=$1 i want got deadline=$((SECONDS + 60))
    for ((i = 1; i <= NODES; i++)); do
        if ((i <= n)); then hap "enable server nodes_http/node$i" >/dev/null; else hap "disable server nodes_http/node$i" >/dev/null; fi
    done
    want=$(for ((i = 1; i <= NODES; i++)); do if ((i <= n)); then echo "node$i UP"; else echo "node$i MAINT"; fi; done)
    while true; do
        got=$(hap "show stat" | awk -F, '$1 == "nodes_http" && $2 ~ /^node/ { print $2, $18 }')
        [[ $got == "$want" ]] && return 0
        ((SECONDS < deadline)) || die "HAProxy did not reach $n node(s) in rotation: $got"
        sleep 0.2
    done
}

declare -A URL=(
    [direct]=http://$NODE1$FNHOST_ROUTE
    [haproxy-1]=http://127.0.0.1:$FRONT_PORT$FNHOST_ROUTE
    [haproxy-2]=http://127.0.0.1:$FRONT_PORT$FNHOST_ROUTE
    [haproxy-3]=http://127.0.0.1:$FRONT_PORT$FNHOST_ROUTE
)

# prepare SETUP: HAProxy's rotation for SETUP (direct leaves it as it is).
prepare() {
    case $1 in
        haproxy-*) in_rotation "${1#haproxy-}" ;;
    esac
}

verify() {
    local name=$1 body
    body=$(curl -fsS --max-time 5 "${URL[$name]}") || die "$name: GET ${URL[$name]} failed"
    [[ $body == *"$EXPECTED_MESSAGE"* ]] || die "$name: unexpected body: $body"
}

# --- measurement ---------------------------------------------------------------------------------

start_output cluster
{
    bench_header
    echo "# $(haproxy -v | head -n 1 | cut -d' ' -f1-3)"
    echo "# setups=${SETUPS[*]} conns=$CONNS rounds=$ROUNDS duration=${DURATION}s threads=$THREADS warmup=${WARMUP}s route=$FNHOST_ROUTE"
    sed -n '/^fnhost cluster:/,/^  haproxy.cfg/p' "$TMP/cluster.log" | sed 's/^/# /' | grep -v SECRET
} >"$RAW"

for name in "${SETUPS[@]}"; do
    prepare "$name"
    verify "$name"
done

if ((WARMUP > 0)); then
    for name in "${SETUPS[@]}"; do
        log "warm-up $name (${WARMUP}s)"
        prepare "$name"
        run_wrk 64 "$WARMUP" "${URL[$name]}" >/dev/null
    done
fi

total_runs=$(($(wc -w <<<"$CONNS") * ROUNDS * ${#SETUPS[@]}))
run=0
for conns in $CONNS; do
    for ((round = 1; round <= ROUNDS; round++)); do
        for name in "${SETUPS[@]}"; do
            run=$((run + 1))
            prepare "$name"
            log "[$run/$total_runs] $name c=$conns round $round (${DURATION}s)"
            record_wrk "$name" "$conns" "$round" "$(run_wrk "$conns" "$DURATION" "${URL[$name]}")"
        done
    done
done
# HAProxy's counters per node over the whole run: connections it opened to the node against
# requests sent on a kept-alive one (connect, reuse).
hap "show stat" | python3 -c '
import csv, sys
rows = list(csv.reader(line.removeprefix("# ") for line in sys.stdin if line.strip()))
col = {name: i for i, name in enumerate(rows[0])}
for row in rows[1:]:
    if row[col["pxname"]] == "nodes_http":
        print("# haproxy: " + " ".join(f"{name}={row[col[name]]}" for name in
              ("svname", "status", "stot", "hrsp_2xx", "connect", "reuse")))
' >>"$RAW"

# --- summary -------------------------------------------------------------------------------------

summary=$(python3 - "$RESULTS" "$CONNS" "${SETUPS[@]}" <<'EOF'
import statistics
import sys

results_path, conns_arg, *setups = sys.argv[1:]
conns_list = [int(c) for c in conns_arg.split()]
runs = {}
with open(results_path) as f:
    for row in f:
        name, conns, _round, rps, p50, p99, non2xx, sock = row.rstrip("\n").split("\t")
        runs.setdefault((name, int(conns)), []).append(
            (float(rps), int(p50), int(p99), int(non2xx), int(sock)))

med = {}
print(f"{'setup':<12}{'conns':>6}{'req/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>10}{'rounds':>8}")
for conns in conns_list:
    for name in setups:
        r = runs.get((name, conns), [])
        if not r:
            continue
        rps = statistics.median(x[0] for x in r)
        p50 = statistics.median(x[1] for x in r)
        p99 = statistics.median(x[2] for x in r)
        med[name, conns] = (rps, p50, p99)
        print(f"{name:<12}{conns:>6}{rps:>12.0f}{p50 / 1000:>9.2f}{p99 / 1000:>9.2f}"
              f"{sum(x[3] for x in r):>9}{sum(x[4] for x in r):>10}{len(r):>8}")
print("req/s, p50 and p99: medians over rounds; error columns: totals over rounds.")

pairs = [(a, b) for a, b in [("haproxy-2", "haproxy-1"), ("haproxy-3", "haproxy-1"),
                             ("haproxy-1", "direct")]
         if a in setups and b in setups]
if pairs:
    print()
    print("req/s ratios")
    print(f"{'conns':>6}" + "".join(f"{a + '/' + b:>24}" for a, b in pairs))
    for conns in conns_list:
        cells = []
        for a, b in pairs:
            if (a, conns) in med and (b, conns) in med and med[b, conns][0] > 0:
                ratio = med[a, conns][0] / med[b, conns][0]
                cells.append(f"{ratio:.2f}x".rjust(24))
            else:
                cells.append(f"{'n/a':>24}")
        print(f"{conns:>6}" + "".join(cells))

if "direct" in setups and "haproxy-1" in setups:
    print()
    print("latency HAProxy adds (haproxy-1 minus direct, same node)")
    print(f"{'conns':>6}{'p50 ms':>10}{'p99 ms':>10}")
    for conns in conns_list:
        if ("direct", conns) in med and ("haproxy-1", conns) in med:
            d, h = med["direct", conns], med["haproxy-1", conns]
            print(f"{conns:>6}{(h[1] - d[1]) / 1000:>+10.2f}{(h[2] - d[2]) / 1000:>+10.2f}")
EOF
)
finish_output "$summary"
