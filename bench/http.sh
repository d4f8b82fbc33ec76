#!/usr/bin/env bash
# HTTP throughput of `fnhost up` on the bundled hello function next to `wasmtime serve` (a wasi:http
# hello component, pooling allocator) and a native hyper hello server, measured with wrk on
# loopback. Rounds alternate between servers (native, wasmtime, fnhost, native, ...) for each
# connection count because the machine is shared and noisy; the table shows medians over rounds.
#
# usage: bench/http.sh [--only native,wasmtime,fnhost[,wasmtime-default,fnhost-baseline]]
#
# Environment:
#   DURATION=10        seconds per wrk run
#   ROUNDS=2           rounds per server and connection count (median reported)
#   CONNS="32 64 256"  connection counts
#   THREADS=2          wrk threads
#   WARMUP=2           seconds of unrecorded wrk load per server before the first round (0: none)
#   FNHOST_MANIFEST    manifest for `fnhost up` (default: fnhost.toml at the repo root)
#   FNHOST_ROUTE       path requested from every server (default: /hello)
#   FNHOST_BIN         fnhost binary (default: target/release/fnhost)
#   FNHOST_BASELINE_BIN  an older fnhost binary, run as server `fnhost-baseline` (e.g. a build of
#                      main before a change) so a change's cost is a ratio from the same run
#   SKIP_BUILD=1       use the existing builds (no cargo build)
#   STRICT=1           exit 1 if a fnhost goal is missed
#
# Raw wrk output and the table go to bench/out/http-<timestamp>.txt.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-"32 64 256"}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-2}
FNHOST_MANIFEST=${FNHOST_MANIFEST:-$ROOT/fnhost.toml}
FNHOST_ROUTE=${FNHOST_ROUTE:-/hello}
STRICT=${STRICT:-0}
SKIP_BUILD=${SKIP_BUILD:-0}
FNHOST_BIN=${FNHOST_BIN:-$ROOT/target/release/fnhost}
READY_TIMEOUT=${READY_TIMEOUT:-120}

WASMTIME_VERSION=48.0.8
BENCH_TARGET=$ROOT/target/bench
EXPECTED_MESSAGE='Hello, World! This is your first AWS Lambda function.'
ALL_SERVERS=(native wasmtime wasmtime-default fnhost fnhost-baseline)
ONLY="native,wasmtime,fnhost"

parse_only "$@"

selected=$(select_only server "${ALL_SERVERS[@]}")
mapfile -t SERVERS <<<"$selected"

wants() {
    case " ${SERVERS[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

# --- tools ---------------------------------------------------------------------------------------

need_tools curl python3 cargo rustup
ensure_wrk

WASMTIME=""
wasmtime_ok() {
    [[ -x $1 ]] && [[ "$("$1" --version 2>/dev/null)" == "wasmtime $WASMTIME_VERSION"* ]]
}
if wants wasmtime || wants wasmtime-default; then
    cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin/wasmtime
    for candidate in "$(command -v wasmtime || true)" "$cargo_bin"; do
        if [[ -n $candidate ]] && wasmtime_ok "$candidate"; then
            WASMTIME=$candidate
            break
        fi
    done
    if [[ -z $WASMTIME ]]; then
        log "installing wasmtime-cli $WASMTIME_VERSION (about 10 minutes on 2 cores)"
        cargo install wasmtime-cli --version "$WASMTIME_VERSION" --locked
        wasmtime_ok "$cargo_bin" || die "wasmtime $WASMTIME_VERSION not found at $cargo_bin after install"
        WASMTIME=$cargo_bin
    fi
fi

rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2

# --- builds --------------------------------------------------------------------------------------

if [[ $SKIP_BUILD == 1 ]]; then
    log "SKIP_BUILD=1: using existing builds"
elif wants native; then
    log "building bench/native-hello"
    CARGO_TARGET_DIR=$BENCH_TARGET cargo build --release --locked \
        --manifest-path "$ROOT/bench/native-hello/Cargo.toml"
fi
if [[ $SKIP_BUILD != 1 ]] && { wants wasmtime || wants wasmtime-default; }; then
    log "building bench/wasi-http-hello"
    CARGO_TARGET_DIR=$BENCH_TARGET cargo build --release --locked --target wasm32-wasip2 \
        --manifest-path "$ROOT/bench/wasi-http-hello/Cargo.toml"
fi
if [[ $SKIP_BUILD != 1 ]] && wants fnhost; then
    log "building fnhost and the hello guest"
    (cd "$ROOT" && cargo build --release -p fnhost)
    (cd "$ROOT" && cargo build --profile guest --target wasm32-wasip2 -p hello)
fi
NATIVE_BIN=$BENCH_TARGET/release/native-hello
WASI_COMPONENT=$BENCH_TARGET/wasm32-wasip2/release/wasi_http_hello.wasm
if wants native; then [[ -x $NATIVE_BIN ]] || die "$NATIVE_BIN missing (build without SKIP_BUILD=1)"; fi
if wants wasmtime || wants wasmtime-default; then
    [[ -f $WASI_COMPONENT ]] || die "$WASI_COMPONENT missing (build without SKIP_BUILD=1)"
fi
if wants fnhost; then
    [[ -x $FNHOST_BIN ]] || die "$FNHOST_BIN missing"
    [[ -f $FNHOST_MANIFEST ]] || die "$FNHOST_MANIFEST missing"
fi
if wants fnhost-baseline; then
    [[ -x ${FNHOST_BASELINE_BIN:-} ]] || die "fnhost-baseline needs FNHOST_BASELINE_BIN (an fnhost binary)"
fi

# --- servers -------------------------------------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-http-bench.XXXXXX")
PIDS=()
declare -A URL=()

cleanup() {
    stop_pids 5 "${PIDS[@]}"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# server_failed NAME LOGFILE: show the server's output and stop.
server_failed() {
    echo "---- $1 output ----" >&2
    tail -n 40 "$2" >&2 || true
    die "$1: $3"
}

# wait_for_listen_line NAME PID LOGFILE: prints the ADDR of the first `listening on http://ADDR`.
wait_for_listen_line() {
    local name=$1 pid=$2 logfile=$3 addr="" deadline=$((SECONDS + READY_TIMEOUT))
    while [[ -z $addr ]]; do
        addr=$(sed -n 's#^listening on http://\([^/[:space:]]*\).*#\1#p' "$logfile" | head -n 1)
        [[ -n $addr ]] && break
        kill -0 "$pid" 2>/dev/null || server_failed "$name" "$logfile" "exited before listening"
        ((SECONDS < deadline)) || server_failed "$name" "$logfile" "no 'listening on' line after ${READY_TIMEOUT}s"
        sleep 0.05
    done
    printf '%s\n' "$addr"
}

# wait_for_http NAME PID LOGFILE URL: poll until the URL answers 2xx.
wait_for_http() {
    local name=$1 pid=$2 logfile=$3 url=$4 deadline=$((SECONDS + READY_TIMEOUT))
    until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || server_failed "$name" "$logfile" "exited before answering $url"
        ((SECONDS < deadline)) || server_failed "$name" "$logfile" "$url not answering after ${READY_TIMEOUT}s"
        sleep 0.05
    done
}

# verify NAME URL: one request, checked and shown.
verify() {
    local name=$1 url=$2 code ctype body
    code=$(curl -sS --max-time 5 -D "$TMP/$name.headers" -o "$TMP/$name.body" -w '%{http_code}' "$url")
    body=$(<"$TMP/$name.body")
    ctype=$(sed -n 's/^[Cc]ontent-[Tt]ype:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$TMP/$name.headers" | tr -d '\r')
    [[ $code == 200 ]] || die "$name: GET $url answered $code: $body"
    [[ $body == *"$EXPECTED_MESSAGE"* ]] || die "$name: GET $url: unexpected body: $body"
    log "$name ready at $url -> $code ${ctype:-no content-type} $body"
}

start_server() {
    local name=$1 logfile=$TMP/$1.log pid addr url
    : >"$logfile"
    case $name in
        native)
            "$NATIVE_BIN" --listen 127.0.0.1:0 >"$logfile" 2>&1 &
            pid=$!
            PIDS+=("$pid")
            addr=$(wait_for_listen_line "$name" "$pid" "$logfile")
            ;;
        wasmtime | wasmtime-default)
            # -S cli: Rust's std on wasm32-wasip2 imports wasi:cli/environment, which the
            # proxy-only linker of `wasmtime serve` lacks. It adds host functions, no per-request work.
            local opts=(-S cli)
            [[ $name == wasmtime ]] && opts+=(-O pooling-allocator)
            addr=127.0.0.1:$(free_port)
            "$WASMTIME" serve "${opts[@]}" --addr "$addr" "$WASI_COMPONENT" >"$logfile" 2>&1 &
            pid=$!
            PIDS+=("$pid")
            ;;
        fnhost | fnhost-baseline)
            local bin=$FNHOST_BIN
            [[ $name == fnhost-baseline ]] && bin=$FNHOST_BASELINE_BIN
            # Each fnhost gets its own state directory and admin port, so two can run at once.
            (cd "$ROOT" && exec "$bin" -f "$FNHOST_MANIFEST" up --listen 127.0.0.1:0 \
                --admin 127.0.0.1:0 --state-dir "$TMP/$name.state" -q) \
                >"$logfile" 2>&1 &
            pid=$!
            PIDS+=("$pid")
            addr=$(wait_for_listen_line "$name" "$pid" "$logfile")
            ;;
    esac
    url=http://$addr$FNHOST_ROUTE
    wait_for_http "$name" "$pid" "$logfile" "$url"
    verify "$name" "$url"
    URL[$name]=$url
}

# --- measurement ---------------------------------------------------------------------------------

start_output http
{
    bench_header
    [[ -n $WASMTIME ]] && echo "# $("$WASMTIME" --version)"
    echo "# servers=${SERVERS[*]} conns=$CONNS rounds=$ROUNDS duration=${DURATION}s threads=$THREADS warmup=${WARMUP}s route=$FNHOST_ROUTE"
} >"$RAW"

for name in "${SERVERS[@]}"; do
    start_server "$name"
    echo "# $name ${URL[$name]}" >>"$RAW"
done

if ((WARMUP > 0)); then
    for name in "${SERVERS[@]}"; do
        log "warm-up $name (${WARMUP}s)"
        run_wrk 64 "$WARMUP" "${URL[$name]}" >/dev/null
    done
fi

total_runs=$(($(wc -w <<<"$CONNS") * ROUNDS * ${#SERVERS[@]}))
run=0
for conns in $CONNS; do
    for ((round = 1; round <= ROUNDS; round++)); do
        for name in "${SERVERS[@]}"; do
            run=$((run + 1))
            log "[$run/$total_runs] $name c=$conns round $round (${DURATION}s)"
            record_wrk "$name" "$conns" "$round" "$(run_wrk "$conns" "$DURATION" "${URL[$name]}")"
        done
    done
done

# --- summary -------------------------------------------------------------------------------------

summary=$(python3 - "$RESULTS" "$CONNS" "${SERVERS[@]}" <<'EOF'
import statistics
import sys

results_path, conns_arg, *servers = sys.argv[1:]
conns_list = [int(c) for c in conns_arg.split()]
runs = {}
with open(results_path) as f:
    for row in f:
        name, conns, _round, rps, p50, p99, non2xx, sock = row.rstrip("\n").split("\t")
        runs.setdefault((name, int(conns)), []).append(
            (float(rps), int(p50), int(p99), int(non2xx), int(sock)))

med = {}
print(f"{'server':<17}{'conns':>6}{'req/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>10}{'rounds':>8}")
for conns in conns_list:
    for name in servers:
        r = runs.get((name, conns), [])
        if not r:
            continue
        rps = statistics.median(x[0] for x in r)
        p50 = statistics.median(x[1] for x in r)
        p99 = statistics.median(x[2] for x in r)
        med[name, conns] = (rps, p50, p99)
        print(f"{name:<17}{conns:>6}{rps:>12.0f}{p50 / 1000:>9.2f}{p99 / 1000:>9.2f}"
              f"{sum(x[3] for x in r):>9}{sum(x[4] for x in r):>10}{len(r):>8}")
print("req/s, p50 and p99: medians over rounds; error columns: totals over rounds.")

pairs = [(a, b) for a, b in [("fnhost", "fnhost-baseline"), ("fnhost", "wasmtime"), ("fnhost", "native"),
                             ("wasmtime", "native"), ("wasmtime", "wasmtime-default")]
         if a in servers and b in servers]
if pairs:
    print()
    print(f"{'conns':>6}" + "".join(f"{a + '/' + b:>28}" for a, b in pairs))
    for conns in conns_list:
        cells = []
        for a, b in pairs:
            if (a, conns) in med and (b, conns) in med and med[b, conns][0] > 0:
                ratio = med[a, conns][0] / med[b, conns][0]
                cells.append(f"{ratio:.2f}x ({ratio:.0%})".rjust(28))
            else:
                cells.append(f"{'n/a':>28}")
        print(f"{conns:>6}" + "".join(cells))

print()
print("goals (fnhost up):")
missed = 0

def goal(text, ok, detail):
    global missed
    if ok is None:
        print(f"  [n/a ] {text}: {detail}")
    else:
        missed += not ok
        print(f"  [{'PASS' if ok else 'FAIL'}] {text}: {detail}")

def ratio_goal(text, other, minimum):
    if "fnhost" not in servers or other not in servers:
        goal(text, None, f"needs fnhost and {other} (use --only)")
        return
    ratios = {c: med["fnhost", c][0] / med[other, c][0] for c in conns_list
              if ("fnhost", c) in med and (other, c) in med and med[other, c][0] > 0}
    if not ratios:
        goal(text, None, "no data")
        return
    worst = min(ratios, key=ratios.get)
    detail = ", ".join(f"{ratios[c]:.2f}x at {c}" for c in ratios)
    goal(text, ratios[worst] >= minimum, detail)

ratio_goal("req/s >= 4x wasmtime serve (pooling), every connection count", "wasmtime", 4.0)
ratio_goal("req/s >= 25% of native hyper, every connection count", "native", 0.25)
if ("fnhost", 64) in med:
    p99 = med["fnhost", 64][2] / 1000
    goal("p99 <= 5 ms at 64 connections", p99 <= 5.0, f"{p99:.2f} ms")
else:
    goal("p99 <= 5 ms at 64 connections", None, "needs fnhost and 64 in CONNS")
print(f"MISSED={missed}")
EOF
)
missed=$(sed -n 's/^MISSED=//p' <<<"$summary")
summary=$(grep -v '^MISSED=' <<<"$summary")
finish_output "$summary"
if [[ $STRICT == 1 ]] && ((missed > 0)); then
    exit 1
fi
