#!/usr/bin/env bash
# The hello function in Rust, C, JavaScript (QuickJS) and Python: how long a restarted `fnhost`
# process takes to answer its first event with a warm artifact cache (hyperfine on
# `fnhost invoke --no-build`, exec and CLI start-up included), and the per-event cost through the
# runtime (criterion's `languages` bench of fnhost-runtime). Prints both against issue #6's goals.
#
# usage: bench/languages.sh
#
# Environment:
#   RUNS=30            hyperfine runs per function (after 3 warm-up runs)
#   SKIP_BUILD=1       use the existing builds (no cargo build, no .ci/guests.sh)
#   SKIP_CRITERION=1   only the restart measurement
#   STRICT=1           exit 1 if a goal is missed
#
# Everything printed also goes to bench/out/languages-<timestamp>.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-30}
SKIP_BUILD=${SKIP_BUILD:-0}
SKIP_CRITERION=${SKIP_CRITERION:-0}
STRICT=${STRICT:-0}
FNHOST=$ROOT/target/release/fnhost
# A state directory of its own: the first invoke compiles, every measured one is a warm restart.
STATE=$ROOT/target/bench/languages-state
FUNCTIONS=(hello c-hello js-hello python-hello)

# Goals (issue #6).
GOAL_RESTART_MS=50
GOAL_PYTHON_EVENT_MS=1.5
GOAL_JS_EVENT_MS=0.3

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}
case ${1:-} in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) echo "languages.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

cd "$ROOT"
mkdir -p bench/out "$STATE"
OUT=bench/out/languages-$(date -u +%Y%m%dT%H%M%SZ).txt
exec > >(tee "$OUT") 2>&1

if ! command -v hyperfine >/dev/null; then
    echo "languages.sh: installing hyperfine (apt)"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hyperfine >/dev/null
fi

if [[ $SKIP_BUILD != 1 ]]; then
    rustup target add wasm32-wasip2 >/dev/null
    cargo build --profile guest --target wasm32-wasip2 -p hello
    bash .ci/guests.sh
    cargo build --release -p fnhost
fi

echo "# $(git rev-parse --short HEAD) on $(nproc) cores, $(date -u +%FT%TZ)"
EVENT=$(mktemp "${TMPDIR:-/tmp}/fnhost-event-XXXXXX.json")
trap 'rm -f "$EVENT" "$EVENT".*' EXIT
echo '{"name": "Gemini"}' >"$EVENT"

invoke() { echo "$FNHOST -f fnhost.toml --state-dir $STATE invoke $1 --no-build -e $EVENT"; }

# Warm the artifact cache (a Python component compiles for seconds) and check every answer.
for f in "${FUNCTIONS[@]}"; do
    out=$($(invoke "$f") 2>/dev/null) || true
    case $out in
        *"Hello, Gemini! This is your first AWS Lambda function."*) ;;
        *) echo "languages.sh: $f answered: $out" >&2; exit 1 ;;
    esac
done

echo
echo "## Restart to first response: fnhost invoke, warm artifact cache (hyperfine, $RUNS runs)"
commands=()
for f in "${FUNCTIONS[@]}"; do
    commands+=(-n "$f" "$(invoke "$f")")
done
hyperfine -N -w 3 -r "$RUNS" --export-json "$EVENT.restart.json" "${commands[@]}"
# The same Python restart when the source index (<state>/sources) is cleared before every run:
# fnhost reads and hashes the 20 MB wasm again, as it did before the index existed.
hyperfine -N -w 3 -r "$RUNS" --export-json "$EVENT.noindex.json" \
    --prepare "rm -rf $STATE/sources" -n "python-hello, index cleared" "$(invoke python-hello)"

criterion=""
if [[ $SKIP_CRITERION != 1 ]]; then
    echo
    echo "## Per event through the runtime (criterion: cargo bench -p fnhost-runtime --bench languages)"
    criterion=$EVENT.criterion.txt
    cargo bench -p fnhost-runtime --bench languages -- --warm-up-time 2 --measurement-time 5 \
        | tee "$criterion"
fi

echo
echo "## Summary against the goals of issue #6"
status=0
python3 - "$EVENT.restart.json" "$EVENT.noindex.json" "$criterion" \
    "$GOAL_RESTART_MS" "$GOAL_PYTHON_EVENT_MS" "$GOAL_JS_EVENT_MS" <<'EOF' || status=$?
import json, re, sys

restart, noindex, criterion = sys.argv[1:4]
goal_restart, goal_py, goal_js = map(float, sys.argv[4:7])
missed = 0

def row(label, value, goal=None, strict=False):
    global missed
    verdict = ""
    if goal is not None:
        ok = value < goal if strict else value <= goal
        missed += not ok
        verdict = f"goal {'<' if strict else '<='} {goal:g} ms: {'met' if ok else 'MISSED'}"
    print(f"  {label:<44} {value:8.3f} ms   {verdict}")

print("restart to first response (median wall time of the whole process):")
for r in json.load(open(restart))["results"] + json.load(open(noindex))["results"]:
    goal = goal_restart if r["command"] == "python-hello" else None
    row(r["command"], r["median"] * 1000, goal, strict=True)

if criterion:
    units = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1000.0}
    text = open(criterion).read()
    print("per event (criterion median estimate):")
    for label, goal in [("rust", None), ("c", None), ("js-quickjs", goal_js), ("python", goal_py)]:
        m = re.search(
            r"hello-per-event/" + re.escape(label) + r"\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]",
            text,
        )
        if m:
            row(label, float(m.group(1)) * units[m.group(2)], goal)
        else:
            print(f"  {label:<44} (not found in criterion's output)")
sys.exit(1 if missed else 0)
EOF
echo "(written to $OUT)"
if [[ $status -ne 0 && $STRICT == 1 ]]; then
    exit 1
fi
