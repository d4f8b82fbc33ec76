# What the benchmark scripts share; not run on its own. A script sources it right after
# `set -euo pipefail`:
#
#     source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# It sets ROOT (the repository) and BENCH (the script's file name, for messages), and defines the
# helpers below: messages, the `--only` list, tools, ports, and wrk runs with one
# machine-readable RESULT line each, recorded in the raw output and the results table.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$(basename "${BASH_SOURCE[1]}")

# The script's header comment, its help.
usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$ROOT/bench/$BENCH"
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$BENCH" "$*" >&2; exit 1; }

as_root() {
    if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

# parse_only ARGS...: the options every script takes (--only LIST, -h); sets ONLY when given.
parse_only() {
    while (($#)); do
        case $1 in
            --only) ONLY=${2:?--only needs a list}; shift 2 ;;
            --only=*) ONLY=${1#--only=}; shift ;;
            -h | --help) usage; exit 0 ;;
            *) printf "%s: unknown argument '%s' (try --help)\n" "$BENCH" "$1" >&2; exit 2 ;;
        esac
    done
}

# select_only WHAT KNOWN...: prints the names of ONLY (comma-separated) one per line, each one of
# KNOWN; WHAT names them in errors ("setup", "server").
select_only() {
    local what=$1 name selected=0
    shift
    local -a requested
    IFS=, read -r -a requested <<<"$ONLY"
    for name in "${requested[@]}"; do
        case " $* " in
            *" $name "*) echo "$name"; selected=1 ;;
            *) printf "%s: unknown %s '%s' (known: %s)\n" "$BENCH" "$what" "$name" "$*" >&2; exit 2 ;;
        esac
    done
    ((selected)) || { printf '%s: --only selects no %s\n' "$BENCH" "$what" >&2; exit 2; }
}

# need_tools TOOL...: each must be on PATH.
need_tools() {
    local tool
    for tool; do
        command -v "$tool" >/dev/null || die "$tool is required"
    done
}

# Installs wrk from Debian when missing.
ensure_wrk() {
    command -v wrk >/dev/null && return
    log "installing wrk"
    as_root apt-get install -y wrk || { as_root apt-get update && as_root apt-get install -y wrk; }
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wrk's Lua `done` hook: one RESULT line per run, latencies in microseconds (append it to a
# script of requests, or use it alone).
report_lua() {
    cat <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
EOF
}

# bench_header: the first lines of a raw output file (what ran, where, with what).
bench_header() {
    echo "# bench/$BENCH $STAMP"
    echo "# git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "# $(uname -srm), $(nproc) cores, $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
}

# start_output NAME: STAMP, RAW (bench/out/NAME-STAMP.txt, for the raw output), RESULTS (an
# empty table in TMP) and REPORT_LUA (report_lua's hook alone, in TMP).
start_output() {
    mkdir -p "$ROOT/bench/out"
    STAMP=$(date -u +%Y%m%dT%H%M%SZ)
    RAW=$ROOT/bench/out/$1-$STAMP.txt
    RESULTS=$TMP/results.tsv
    : >"$RESULTS"
    REPORT_LUA=$TMP/report.lua
    report_lua >"$REPORT_LUA"
}

# run_wrk CONNS DURATION URL: wrk with THREADS threads (at most one per connection) and
# REPORT_LUA; prints its output.
run_wrk() {
    local conns=$1 duration=$2 url=$3 threads=$THREADS
    ((threads <= conns)) || threads=$conns
    wrk -t "$threads" -c "$conns" -d "${duration}s" --timeout 5s --latency -s "$REPORT_LUA" "$url"
}

# field NAME LINE: the value of NAME=... in a RESULT line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" ${2#RESULT }"; }

# record_wrk NAME CONNS ROUND OUTPUT: wrk's OUTPUT appended to RAW, its RESULT line to RESULTS
# (name, conns, round, req/s, p50 µs, p99 µs, non-2xx, socket errors), and shown.
record_wrk() {
    local name=$1 conns=$2 round=$3 out=$4 line sock
    {
        echo
        echo "## $name conns=$conns round=$round"
        echo "$out"
    } >>"$RAW"
    line=$(grep '^RESULT ' <<<"$out") || die "$name: no RESULT line from wrk"
    sock=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line")))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$conns" "$round" \
        "$(field rps "$line")" "$(field p50_us "$line")" "$(field p99_us "$line")" \
        "$(field non2xx "$line")" "$sock" >>"$RESULTS"
    printf '    %.0f req/s  p50 %s us  p99 %s us  non-2xx %s  socket errors %s\n' \
        "$(field rps "$line")" "$(field p50_us "$line")" "$(field p99_us "$line")" \
        "$(field non2xx "$line")" "$sock" >&2
}

# stop_pids WAIT_S PID...: SIGTERM to each, then up to WAIT_S seconds for each to exit (a node
# drains; local-cluster.sh stops HAProxy, its nodes and PostgreSQL), then SIGKILL to what is left.
stop_pids() {
    local wait_s=$1 pid i
    shift
    for pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid; do
        for ((i = 0; i < wait_s * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

# finish_output SUMMARY: SUMMARY appended to RAW and shown, with where RAW is.
finish_output() {
    {
        echo
        echo "## summary"
        echo "$1"
    } >>"$RAW"
    echo
    echo "$1"
    echo
    echo "raw results: ${RAW#"$ROOT"/}"
}
