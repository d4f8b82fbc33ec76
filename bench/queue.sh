#!/usr/bin/env bash
# Asynchronous invocations through the durable queue, end to end: for DURATION seconds, wrk sends
# Lambda API `Event` invocations of the bundled hello function over CONNS connections (each
# request signed with SigV4 as the AWS SDK signs it); each is enqueued by the node that answers 202,
# run by the nodes' delivery workers and completed (the job deleted once its invocation record is
# committed). The figure is events completed per second, from the first request to the moment the
# queue is empty and every event has its record: enqueue + run + complete.
#
# Setups, all started once and measured in alternating rounds (the machine is shared and noisy):
#   sqlite  one `fnhost up` on the default store (SQLite in the state directory): the baseline
#   pg-1    deploy/local-cluster.sh --nodes 1: one node on a throwaway PostgreSQL
#   pg-3    deploy/local-cluster.sh --nodes 3: three nodes on one PostgreSQL, the requests
#           through HAProxy's admin front; every node's worker claims from the shared queue
# The throwaway PostgreSQL runs with fsync and synchronous_commit off (deploy/local-cluster.sh);
# SQLite runs as fnhost always runs it (WAL, synchronous=NORMAL).
#
# usage: bench/queue.sh [--only sqlite,pg-1,pg-3]
#
# Environment:
#   DURATION=5     seconds of sending per round
#   CONNS=32       wrk connections sending them
#   ROUNDS=2       rounds per setup (median reported)
#   SKIP_BUILD=1   use the existing builds (no cargo build)
#   FNHOST_BIN     the fnhost binary of every setup (e.g. a baseline build; implies no fnhost build)
#
# Raw output and the table go to bench/out/queue-<timestamp>.txt.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=${DURATION:-5}
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-2}
SKIP_BUILD=${SKIP_BUILD:-0}
THREADS=2
FUNCTION=hello
ALL_SETUPS=(sqlite pg-1 pg-3)
ONLY=$(IFS=,; echo "${ALL_SETUPS[*]}")

parse_only "$@"
selected=$(select_only setup "${ALL_SETUPS[@]}")
mapfile -t SETUPS <<<"$selected"
[[ $DURATION =~ ^[0-9]+$ ]] && ((DURATION > 0)) || die "DURATION must be a number of seconds"

# --- tools and builds ----------------------------------------------------------------------------

need_tools curl python3 cargo
ensure_wrk
command -v haproxy >/dev/null || bash "$ROOT/.ci/postgres.sh"
# botocore signs the requests, as boto3 would.
bash "$ROOT/.ci/pytools.sh"
PY=$ROOT/target/pytools/bin/python
if ((SKIP_BUILD != 1)); then
    log "building fnhost and the hello function"
    (cd "$ROOT" && rustup target add wasm32-wasip2 >/dev/null &&
        cargo build --profile guest --target wasm32-wasip2 -p hello -q &&
        if [[ -z ${FNHOST_BIN:-} ]]; then cargo build --release -p fnhost -q; fi)
fi
FNHOST=${FNHOST_BIN:-$ROOT/target/release/fnhost}
export FNHOST_BIN=$FNHOST
[[ -x $FNHOST ]] || die "$FNHOST is missing (run without SKIP_BUILD=1)"
PSQL=$(command -v psql || true)
[[ -n $PSQL ]] || die "psql is required (bash .ci/postgres.sh installs it)"

# --- the setups ----------------------------------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-queue-bench.XXXXXX")
declare -A PIDS=() ADMIN=() STORE=()

cleanup() {
    stop_pids 60 "${PIDS[@]}"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FNHOST_ACCESS_KEY_ID=AKIABENCHQUEUE000001
FNHOST_SECRET_ACCESS_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')
export FNHOST_ACCESS_KEY_ID FNHOST_SECRET_ACCESS_KEY
unset FNHOST_LISTEN FNHOST_ADMIN FNHOST_STORE FNHOST_STATE_DIR FNHOST_NODE FNHOST_MANIFEST

# Every setup serves this manifest: the trivial function alone (no watchers, no schedules).
MANIFEST=$TMP/fnhost.toml
cat >"$MANIFEST" <<EOF
manifest_version = 1

[function.$FUNCTION]
source = "$ROOT/target/wasm32-wasip2/guest/hello.wasm"

# deploy/local-cluster.sh checks the route through HAProxy before it reports ready.
[[function.$FUNCTION.http]]
route = "/hello"
EOF
[[ -f $ROOT/target/wasm32-wasip2/guest/hello.wasm ]] || die "hello.wasm is missing (run without SKIP_BUILD=1)"

SQLITE_HTTP=127.0.0.1:$(free_port)

start_sqlite() {
    local admin=127.0.0.1:$(free_port)
    mkdir -p "$TMP/sqlite/state"
    (cd "$TMP" && exec setsid "$FNHOST" -f "$MANIFEST" up --no-build -q \
        --state-dir "$TMP/sqlite/state" --listen "$SQLITE_HTTP" --admin "$admin") \
        >"$TMP/sqlite.log" 2>&1 &
    PIDS[sqlite]=$!
    ADMIN[sqlite]=$admin
    STORE[sqlite]=$TMP/sqlite/state/fnhost.db
}

start_cluster() {
    local name=$1 nodes=$2
    : >"$TMP/$name.log"
    setsid bash "$ROOT/deploy/local-cluster.sh" --no-build -f "$MANIFEST" --nodes "$nodes" --port "$(free_port)" \
        --admin-port "$(free_port)" --stats-port "$(free_port)" >"$TMP/$name.log" 2>&1 &
    PIDS[$name]=$!
}

# await_cluster NAME: waits for local-cluster.sh's banner and reads its addresses. One node is
# sent requests directly; three through HAProxy.
await_cluster() {
    local name=$1 deadline=$((SECONDS + 600))
    until grep -q '^Ctrl-C stops everything' "$TMP/$name.log"; do
        if ! kill -0 "${PIDS[$name]}" 2>/dev/null || ((SECONDS > deadline)); then
            tail -n 40 "$TMP/$name.log" >&2
            die "$name: deploy/local-cluster.sh did not come up"
        fi
        sleep 0.2
    done
    STORE[$name]=$(sed -n 's#^  PostgreSQL  *\(postgres://[^ ]*\) .*#\1#p' "$TMP/$name.log")
    if [[ $name == pg-1 ]]; then
        ADMIN[$name]=$(sed -n 's#^  node1 .*  admin http://\([^ ]*\)  console .*#\1#p' "$TMP/$name.log")
    else
        ADMIN[$name]=$(sed -n 's#^  Lambda API (HAProxy)  http://\([^ ]*\) .*#\1#p' "$TMP/$name.log")
    fi
    [[ -n ${STORE[$name]} && -n ${ADMIN[$name]} ]] || { cat "$TMP/$name.log" >&2; die "$name: cannot read its addresses"; }
}

await_sqlite() {
    local deadline=$((SECONDS + 120))
    until curl -fs -o /dev/null --max-time 2 "http://$SQLITE_HTTP/.well-known/fnhost/health"; do
        if ! kill -0 "${PIDS[sqlite]}" 2>/dev/null || ((SECONDS > deadline)); then
            cat "$TMP/sqlite.log" >&2
            die "sqlite: fnhost up did not come up"
        fi
        sleep 0.2
    done
}

# The clusters start one after the other: their builds of PostgreSQL and the nodes' compiles
# would only compete.
for name in "${SETUPS[@]}"; do
    case $name in
        sqlite) log "starting one fnhost up on SQLite"; start_sqlite; await_sqlite ;;
        pg-1) log "starting deploy/local-cluster.sh --nodes 1"; start_cluster pg-1 1; await_cluster pg-1 ;;
        pg-3) log "starting deploy/local-cluster.sh --nodes 3"; start_cluster pg-3 3; await_cluster pg-3 ;;
    esac
done

# --- the load ------------------------------------------------------------------------------------

BODY='{"name":"queue"}'

# lua SETUP: wrk's script for SETUP: the signed Invoke request (a signature holds for 15 minutes,
# as AWS's does, and one is made per round) and a report line.
lua() {
    local name=$1
    "$PY" - "${ADMIN[$name]}" "$FUNCTION" "$BODY" <<'EOF' >"$TMP/$name.lua"
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import os

host, function, body = sys.argv[1:]
request = AWSRequest(
    method="POST",
    url=f"http://{host}/2015-03-31/functions/{function}/invocations",
    data=body.encode(),
    headers={"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"},
)
SigV4Auth(
    Credentials(os.environ["FNHOST_ACCESS_KEY_ID"], os.environ["FNHOST_SECRET_ACCESS_KEY"]),
    "lambda",
    "us-east-1",
).add_auth(request)
q = json.dumps
print("wrk.method = 'POST'")
print(f"wrk.path = {q(request.url.split(host, 1)[1])}")
print(f"wrk.body = {q(body)}")
for key, value in request.headers.items():
    if key.lower() != "host":
        print(f"wrk.headers[{q(key)}] = {q(value)}")
EOF
    report_lua >>"$TMP/$name.lua"
}

# counts SETUP SINCE_MS: "<queued jobs> <records of FUNCTION since SINCE_MS> <last end ms>".
counts() {
    local name=$1 since=$2
    local sql="SELECT (SELECT count(*) FROM jobs), count(*), coalesce(CAST(max(started_at_ms + duration_ms) AS BIGINT), 0) FROM invocations WHERE function = '$FUNCTION' AND started_at_ms >= $since"
    if [[ $name == sqlite ]]; then
        python3 - "${STORE[$name]}" "$sql" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
print(*db.execute(sys.argv[2]).fetchone())
EOF
    else
        "$PSQL" -X -q -A -t -F ' ' "${STORE[$name]}" -c "$sql"
    fi
}

now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

start_output queue
{
    bench_header
    echo "# $("$PSQL" --version)"
    echo "# setups=${SETUPS[*]} duration=${DURATION}s conns=$CONNS rounds=$ROUNDS function=$FUNCTION"
} >"$RAW"

total_runs=$((ROUNDS * ${#SETUPS[@]}))
run=0
for ((round = 1; round <= ROUNDS; round++)); do
    for name in "${SETUPS[@]}"; do
        run=$((run + 1))
        lua "$name"
        log "[$run/$total_runs] $name round $round: Event invocations for ${DURATION}s over $CONNS connections"
        start=$(now_ms)
        out=$(wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --timeout 10s -s "$TMP/$name.lua" "http://${ADMIN[$name]}")
        sent=$(now_ms)
        line=$(grep '^RESULT ' <<<"$out") || die "$name: no RESULT line from wrk: $out"
        requests=$(field requests "$line")
        errors=$(($(field non2xx "$line") + $(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line")))
        accepted=$((requests - errors))
        # Wait for the queue to empty and every accepted event's record: at most 10 minutes.
        deadline=$((SECONDS + 600))
        while true; do
            read -r queued done_count last_end < <(counts "$name" "$start")
            ((queued == 0 && done_count >= accepted)) && break
            ((SECONDS < deadline)) || die "$name: $queued job(s) still queued and $done_count of $accepted run after 10 minutes"
            sleep 0.05
        done
        secs=$(python3 -c "print(max(($last_end - $start) / 1000, 1e-3))")
        {
            echo
            echo "## $name round=$round"
            echo "$out"
            echo "accepted=$accepted errors=$errors completed=$done_count first_request_ms=$start sent_ms=$sent last_end_ms=$last_end"
        } >>"$RAW"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$accepted" "$errors" "$done_count" \
            "$(((sent - start)))" "$((last_end - start))" >>"$RESULTS"
        python3 -c "
accepted, done, send_ms, all_ms = $accepted, $done_count, $((sent - start)), $((last_end - start))
print(f'    {done / (all_ms / 1000):.0f} events/s end to end ({done} run in {all_ms / 1000:.2f} s); '
      f'enqueued {accepted / (send_ms / 1000):.0f}/s; errors $errors; extra runs {done - accepted}')" >&2
    done
done

# --- summary -------------------------------------------------------------------------------------

summary=$(python3 - "$RESULTS" "${SETUPS[@]}" <<'EOF'
import statistics, sys

path, *setups = sys.argv[1:]
runs = {}
with open(path) as f:
    for row in f:
        name, _round, accepted, errors, done, send_ms, all_ms = row.rstrip("\n").split("\t")
        runs.setdefault(name, []).append(
            (int(accepted), int(errors), int(done), int(send_ms), int(all_ms)))
print(f"{'setup':<8}{'events/s':>10}{'enqueue/s':>11}{'drain s':>9}{'errors':>8}{'extra runs':>12}{'rounds':>8}")
med = {}
for name in setups:
    r = runs.get(name, [])
    if not r:
        continue
    rate = statistics.median(d / (a / 1000) for _, _, d, _, a in r)
    enq = statistics.median(acc / (s / 1000) for acc, _, _, s, _ in r)
    drain = statistics.median((a - s) / 1000 for *_, s, a in r)
    med[name] = rate
    print(f"{name:<8}{rate:>10.0f}{enq:>11.0f}{drain:>9.2f}{sum(x[1] for x in r):>8}"
          f"{sum(x[2] - x[0] for x in r):>12}{len(r):>8}")
print("events/s: events completed per second from the first request to the last completion")
print("(median over rounds); enqueue/s: 202 answers per second while sending; drain: seconds")
print("from the last answer to the last completion; extra runs: records beyond the 202s (requests")
print("wrk cut off at its stop, or events run twice); errors: totals over rounds.")
if "sqlite" in med:
    print()
    for name in setups:
        if name != "sqlite" and name in med:
            print(f"{name}/sqlite: {med[name] / med['sqlite']:.2f}x")
EOF
)
finish_output "$summary"
