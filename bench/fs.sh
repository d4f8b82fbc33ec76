#!/usr/bin/env bash
# File-watch trigger benchmark (issue #4): latency from a file's close to the handler's start,
# and throughput, loss and duplicates for a burst of files.
#
#   bash bench/fs.sh            # 300 paced files for latency, a 10,000-file burst
#   FILES=2000 bash bench/fs.sh
#   FNHOST_BIN=/tmp/fnhost-old bash bench/fs.sh   # another build (e.g. a baseline for a change)
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
FNHOST_BIN=${FNHOST_BIN:-}

if ! command -v inotifywait >/dev/null; then
  echo "installing inotify-tools (baseline)..." >&2
  sudo apt-get install -y -qq inotify-tools >/dev/null 2>&1 || apt-get install -y -qq inotify-tools >/dev/null
fi
rustup target add wasm32-wasip2 >/dev/null
cargo build --profile guest --target wasm32-wasip2 -p s3-probe -q
if [[ -z $FNHOST_BIN ]]; then
  cargo build --release -p fnhost -q
  FNHOST_BIN=$ROOT/target/release/fnhost
fi

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

# Baseline: inotifywait reports each close; one long-lived Python reader stamps the time each
# line arrives (no process per event).
inotifywait -m -q -e close_write --format '%w%f' "$WORK/baseline" \
  | python3 -u -c 'import sys, time
for line in sys.stdin:
    print(f"{time.time():.6f} {line.strip()}", flush=True)' >"$WORK/baseline.log" &
sleep 0.5

FNHOST_STATE_DIR="$WORK/state" "$FNHOST_BIN" -f "$WORK/fnhost.toml" up \
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

def burst(kind, make):
    """Create FILES files in the bucket with `make(key)`; return delivery figures."""
    keys = [f"{kind}-{i:05d}.txt" for i in range(files)]
    t0 = time.time() * 1000.0
    for key in keys:
        make(key)
    t_made = time.time() * 1000.0
    starts, dup = wait_for(keys, 600)
    got = [starts[k] for k in keys if k in starts]
    t_last = max(got) if got else t0
    return {
        "kind": kind,
        "made_rate": files / max((t_made - t0) / 1000.0, 1e-6),
        "delivered": len(got),
        "lost": files - len(got),
        "dup": dup,
        "secs": (t_last - t0) / 1000.0,
        "rate": len(got) / max((t_last - t0) / 1000.0, 1e-6),
        "lag": t_last - t_made,
    }

# 2. Burst written in place: bounded by how fast one writer creates files.
written = burst("written", lambda key: write(up, key))
# 3. Burst moved in: FILES files prepared beside the bucket, then renamed in as fast as
#    possible (a sync tool or `mv *`), so the host, not the writer, is the bottleneck.
staging = os.path.join(work, "staging")
os.makedirs(staging, exist_ok=True)
for i in range(files):
    write(staging, f"moved-{i:05d}.txt")
moved = burst("moved", lambda key: os.rename(os.path.join(staging, key), os.path.join(up, key)))
_, dup_total = handler_starts()

print(f"latency, close -> handler start ({len(lat)} paced files):")
print(f"  fnhost           p50 {pct(lat,50):7.2f} ms   p99 {pct(lat,99):7.2f} ms   max {max(lat):7.2f} ms")
if lat_base:
    print(f"  inotifywait      p50 {pct(lat_base,50):7.2f} ms   p99 {pct(lat_base,99):7.2f} ms   (baseline: notification only)")
    print(f"  fnhost adds {pct(lat,50)-pct(lat_base,50):.2f} ms at p50 over the bare notification "
          f"(checkpoint + queue transaction + claim + a fresh wasm instance)")
for b in (written, moved):
    how = "written in place" if b["kind"] == "written" else "renamed into the bucket"
    print(f"burst of {files} files {how} (at {b['made_rate']:,.0f} files/s):")
    print(f"  delivered {b['delivered']}   lost {b['lost']}")
    print(f"  throughput {b['rate']:,.0f} events/s (first file -> last handler start, {b['secs']:.2f} s; "
          f"last handler started {b['lag']:.0f} ms after the last file)")
print(f"duplicated deliveries over the whole run: {dup_total}")
lost = written["lost"] + moved["lost"]
ok = pct(lat,50) < 20 and max(written["rate"], moved["rate"]) >= 2000 and lost == 0 and dup_total == 0
print("goals (p50 < 20 ms, >= 2,000 events/s, 0 lost, 0 duplicated):", "MET" if ok else "NOT MET")
PY
