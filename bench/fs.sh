#!/usr/bin/env bash
# File-watch trigger benchmark (issue #4): latency from a file's close to the handler's start,
# and throughput, loss and duplicates for a burst of files.
#
#   bash bench/fs.sh            # 300 paced files for latency, a 10,000-file burst
#   FILES=2000 bash bench/fs.sh
#
# Baseline, measured in the same run on the same disk: `inotifywait -m -e close_write`, the
# kernel notification alone (no checkpoint, no queue, no wasm). fnhost's figure is the whole
# path: inotify → checkpoint + durable queue (SQLite transaction) → delivery worker → a fresh
# wasm instance whose handler reads its clock first thing (the s3-probe fixture).
# Goals: p50 < 20 ms, >= 2,000 events/s, 0 lost, 0 duplicated.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILES=${FILES:-10000}
PACED=${PACED:-300}

if ! command -v inotifywait >/dev/null; then
  echo "installing inotify-tools (baseline)..." >&2
  sudo apt-get install -y -qq inotify-tools >/dev/null 2>&1 || apt-get install -y -qq inotify-tools >/dev/null
fi
rustup target add wasm32-wasip2 >/dev/null
cargo build --profile guest --target wasm32-wasip2 -p s3-probe -q
cargo build --release -p fnhost -q

WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/uploads" "$WORK/baseline" "$WORK/state"
cat >"$WORK/fnhost.toml" <<EOF
manifest_version = 1

[bucket.uploads]
path = "uploads"

[events]
workers = 16

[function.probe]
source = "$ROOT/target/wasm32-wasip2/guest/s3_probe.wasm"

[[function.probe.s3]]
bucket = "uploads"
events = ["s3:ObjectCreated:*"]
EOF

# Baseline: inotifywait prints the close time of each file.
inotifywait -m -q -e close_write --timefmt '%s' --format '%w%f' "$WORK/baseline" \
  | while read -r path; do echo "$(date +%s.%N) $path"; done >"$WORK/baseline.log" &
sleep 0.5

FNHOST_STATE_DIR="$WORK/state" "$ROOT/target/release/fnhost" -f "$WORK/fnhost.toml" up \
  --listen 127.0.0.1:0 --no-build --no-watch >"$WORK/fnhost.out" 2>"$WORK/fnhost.err" &
for _ in $(seq 1 600); do grep -q '^listening on' "$WORK/fnhost.out" && break; sleep 0.1; done
grep -q '^listening on' "$WORK/fnhost.out" || { cat "$WORK/fnhost.err"; exit 1; }

python3 - "$WORK" "$FILES" "$PACED" <<'PY'
import os, re, sys, time, statistics

work, files, paced = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
up, base = os.path.join(work, "uploads"), os.path.join(work, "baseline")
probe = re.compile(r"\] PROBE event=\S+ bucket=\S+ key=(.+) size=\S+ etag=\S+ seq=\S+ now_ms=([0-9.]+)")

def handler_starts():
    starts = {}
    dup = 0
    with open(os.path.join(work, "fnhost.out"), encoding="utf-8", errors="replace") as f:
        for line in f:
            m = probe.search(line)
            if m:
                if m.group(1) in starts:
                    dup += 1
                starts.setdefault(m.group(1), float(m.group(2)))
    return starts, dup

def write(dirname, key):
    with open(os.path.join(dirname, key), "w") as f:
        f.write(key)
    return time.time() * 1000.0

def wait_for(keys, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        starts, dup = handler_starts()
        if all(k in starts for k in keys):
            return starts, dup
        time.sleep(0.05)
    return handler_starts()

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]

# 1. Latency: paced writes, one every 20 ms, close → handler start.
closed, closed_base = {}, {}
for i in range(paced):
    key = f"lat-{i:05d}.txt"
    closed[key] = write(up, key)
    closed_base[key] = write(base, key)
    time.sleep(0.02)
starts, _ = wait_for(list(closed), 60)
lat = [starts[k] - closed[k] for k in closed if k in starts]
time.sleep(0.5)
seen_base = {}
with open(os.path.join(work, "baseline.log")) as f:
    for line in f:
        t, path = line.split(" ", 1)
        seen_base.setdefault(os.path.basename(path.strip()), float(t) * 1000.0)
lat_base = [seen_base[k] - closed_base[k] for k in closed_base if k in seen_base]

# 2. Burst: FILES files as fast as Python can write them.
keys = [f"burst-{i:05d}.txt" for i in range(files)]
t0 = time.time() * 1000.0
for key in keys:
    write(up, key)
t_written = time.time() * 1000.0
starts, dup = wait_for(keys, 600)
got = [starts[k] for k in keys if k in starts]
lost = files - len(got)
t_last = max(got) if got else t0
rate = len(got) / ((t_last - t0) / 1000.0) if got else 0.0
write_rate = files / ((t_written - t0) / 1000.0)

print(f"latency, close -> handler start ({len(lat)} paced files):")
print(f"  fnhost           p50 {pct(lat,50):7.2f} ms   p99 {pct(lat,99):7.2f} ms   max {max(lat):7.2f} ms")
if lat_base:
    print(f"  inotifywait      p50 {pct(lat_base,50):7.2f} ms   p99 {pct(lat_base,99):7.2f} ms   (baseline: notification only)")
    print(f"  ratio p50 fnhost/baseline: {pct(lat,50)/max(pct(lat_base,50),1e-3):.1f}x")
print(f"burst of {files} files (written at {write_rate:,.0f} files/s):")
print(f"  delivered {len(got)}   lost {lost}   duplicated {dup}")
print(f"  throughput {rate:,.0f} events/s (first write -> last handler start, {(t_last-t0)/1000:.2f} s)")
ok = pct(lat,50) < 20 and rate >= 2000 and lost == 0 and dup == 0
print("goals (p50 < 20 ms, >= 2,000 events/s, 0 lost, 0 duplicated):", "MET" if ok else "NOT MET")
PY
