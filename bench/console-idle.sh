#!/usr/bin/env bash
# What an open, idle web console costs the HTTP listener: wrk against `fnhost up`'s /hello with
# no browser, with a headless Chromium on a blank page (the browser's own cost on this machine),
# and with it holding the console's functions list open; rounds alternate between the three on
# one host because the machine is shared and noisy. Prints the median req/s and p99 of each and
# the ratios; console / blank is the console's own cost.
#
# usage: bench/console-idle.sh
#
# Environment:
#   DURATION=10   seconds per wrk run
#   ROUNDS=3      rounds per side (median reported)
#   CONNS=64      wrk connections
#   THREADS=2     wrk threads
#   PAGE=functions  the console page held open (functions, or a function's tab: hello/monitor)
#   FNHOST_BIN    fnhost binary (default: target/release/fnhost; built unless SKIP_BUILD=1)
#
# Needs wrk, chromium and chromium-driver (apt) and the pytools venv with selenium
# (`bash .ci/pytools.sh`, `bash .ci/browser.sh`). Output also goes to bench/out/console-idle-<ts>.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PAGE=${PAGE:-functions}
FNHOST_BIN=${FNHOST_BIN:-$ROOT/target/release/fnhost}
PY=$ROOT/target/pytools/bin/python

die() { printf 'console-idle.sh: %s\n' "$*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk"
command -v chromedriver >/dev/null || die "chromedriver is missing: bash .ci/browser.sh"
[ -x "$PY" ] && "$PY" -c 'import selenium' 2>/dev/null || die "selenium is missing: bash .ci/pytools.sh"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$ROOT" && cargo build --release -p fnhost >&2 && cargo build --profile guest --target wasm32-wasip2 -p hello >&2)
fi

work=$(mktemp -d)
mkdir -p "$ROOT/bench/out"
out=$ROOT/bench/out/console-idle-$(date -u +%Y%m%dT%H%M%SZ).txt
hello=$ROOT/target/wasm32-wasip2/guest/hello.wasm
[ -f "$hello" ] || die "$hello is missing: cargo build --profile guest --target wasm32-wasip2 -p hello"
cat >"$work/fnhost.toml" <<TOML
manifest_version = 1

[function.hello]
source = "$hello"

[[function.hello.http]]
route = "/hello"
TOML
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

(cd "$work" && "$FNHOST_BIN" -f fnhost.toml up -q --no-build --listen 127.0.0.1:0 --admin 127.0.0.1:0 \
    --state-dir "$work/state" >"$work/up.out" 2>"$work/up.err") &
pids+=($!)
for _ in $(seq 1 600); do
    grep -q '^listening on' "$work/up.out" 2>/dev/null && break
    sleep 0.1
done
listen=$(sed -n 's/^listening on http:\/\///p' "$work/up.out")
admin=$(sed -n 's/^admin: http:\/\///p' "$work/up.out")
[ -n "$listen" ] || die "fnhost did not start: $(cat "$work/up.err")"

# A headless Chromium on the console page, idle until killed: its pid in $browser once the
# page has rendered.
open_browser() {
    : >"$work/browser.out"
    "$PY" - "$admin" "$1" >"$work/browser.out" 2>&1 <<'PY' &
import sys, time
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
admin, page = sys.argv[1], sys.argv[2]
options = webdriver.ChromeOptions()
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
if page == "blank":
    driver.get("about:blank")
else:
    route = "#/functions" if page == "functions" else "#/functions/" + page
    driver.get(f"http://{admin}/console/{route}")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-loaded='true']"))
print("browser open", flush=True)
try:
    while True:
        time.sleep(1)
finally:
    driver.quit()
PY
    browser=$!
    for _ in $(seq 1 600); do
        grep -q '^browser open' "$work/browser.out" && return 0
        kill -0 "$browser" 2>/dev/null || die "the browser failed: $(cat "$work/browser.out")"
        sleep 0.1
    done
    die "the page did not render within 60 s: $(cat "$work/browser.out")"
}

run() {
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://$listen/hello"
}
rps() { awk '/^Requests\/sec/ {print $2}'; }
p99() { awk '$1 == "99%" {print $2}'; }

close_browser() {
    pkill -P "$browser" 2>/dev/null || true
    kill "$browser" 2>/dev/null || true
    wait "$browser" 2>/dev/null || true
}

without=() blank=() with=() p99_without=() p99_blank=() p99_with=()
wrk -t"$THREADS" -c"$CONNS" -d2s "http://$listen/hello" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
    r=$(run); echo "round $round without a browser:" >>"$out"; echo "$r" >>"$out"
    without+=("$(rps <<<"$r")"); p99_without+=("$(p99 <<<"$r")")
    open_browser blank
    sleep 3
    r=$(run); echo "round $round with a blank page open:" >>"$out"; echo "$r" >>"$out"
    blank+=("$(rps <<<"$r")"); p99_blank+=("$(p99 <<<"$r")")
    close_browser
    open_browser "$PAGE"
    sleep 3 # the page settles (an idle console then makes no requests)
    r=$(run); echo "round $round with the console open:" >>"$out"; echo "$r" >>"$out"
    with+=("$(rps <<<"$r")"); p99_with+=("$(p99 <<<"$r")")
    close_browser
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m0=$(median "${without[@]}"); mb=$(median "${blank[@]}"); m1=$(median "${with[@]}")
{
    echo "fnhost /hello, wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds, console page: $PAGE"
    echo "no browser:      median ${m0} req/s (${without[*]}), p99 ${p99_without[*]}"
    echo "blank page open: median ${mb} req/s (${blank[*]}), p99 ${p99_blank[*]}"
    echo "console open:    median ${m1} req/s (${with[*]}), p99 ${p99_with[*]}"
    awk -v a="$m0" -v b="$mb" -v c="$m1" 'BEGIN {printf "ratios: console / blank page %.3f, console / no browser %.3f\n", c / b, c / a}'
} | tee -a "$out"
