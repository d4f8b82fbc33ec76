#!/usr/bin/env bash
# Deploy → first response through the Lambda API of a real `fnhost up` (release build) started
# on an empty state directory, for:
#
#   a  a new Python function (functions/python-hello)                      goal ≤ 3 s
#   b  a second Python function with a new handler (functions/python-greet) goal ≤ 2 s
#   c  a JavaScript function (functions/js-hello)                          goal ≤ 1 s
#   d  a Rust .wasm (functions/hello, built for wasm32-wasip2)             goal ≤ 100 ms
#   e  a restart with everything cached → first Python response            goal < 50 ms
#
# Each case is timed from the start of the deploy to the first successful Invoke response
# (HTTP 200 without X-Amz-Function-Error); e from spawning the new `fnhost up` process.
#
# Two hosts run one after the other, each on its own empty state directory:
#   baseline  today's path on FNHOST_BASELINE_BIN (default: FNHOST_BIN): package with
#             guest-sdk/{python,js}/package.sh, then CreateFunction with a zip of the .wasm
#   new       FNHOST_BIN: CreateFunction with `Runtime: python3.12` / `nodejs22.x` and a zip of
#             the source, then wait for State Active. When the host refuses source zips (an
#             fnhost that cannot package yet), the new host takes today's path too, and the
#             path column says so.
# Before the hosts start, the packaging tools are installed and run once (a throwaway package),
# so neither side pays a first-use download or a cold page cache.
#
# usage: bench/deploy.sh [--only a,b,c,d,e] [--rounds N]
#
# Environment:
#   FNHOST_BIN           fnhost binary (default: target/release/fnhost)
#   FNHOST_BASELINE_BIN  an older fnhost (e.g. the release build of the last landed version) for
#                        the baseline host; default FNHOST_BIN, which measures the old path only
#   ROUNDS=1             hosts started per side (each on a new state dir); medians are shown
#   SKIP_BUILD=1         use the existing builds (no cargo build)
#   STRICT=1             exit 1 if a goal is missed
#   PYTHON               interpreter for the driver (default: target/pytools/bin/python, else
#                        python3; only the standard library is used)
#
# Raw output and the table go to bench/out/deploy-<timestamp>.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FNHOST_BIN=${FNHOST_BIN:-$ROOT/target/release/fnhost}
FNHOST_BASELINE_BIN=${FNHOST_BASELINE_BIN:-}
ROUNDS=${ROUNDS:-1}
SKIP_BUILD=${SKIP_BUILD:-0}
STRICT=${STRICT:-0}
ONLY=a,b,c,d,e

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

while (($#)); do
    case $1 in
        --only) ONLY=${2:?--only needs a list}; shift 2 ;;
        --only=*) ONLY=${1#--only=}; shift ;;
        --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
        --rounds=*) ROUNDS=${1#--rounds=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "deploy.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'deploy.sh: %s\n' "$*" >&2; exit 1; }

if [[ -z ${PYTHON:-} ]]; then
    if [[ -x $ROOT/target/pytools/bin/python ]]; then PYTHON=$ROOT/target/pytools/bin/python; else PYTHON=python3; fi
fi
command -v "$PYTHON" >/dev/null || die "no python3"

RUST_WASM=$ROOT/target/wasm32-wasip2/guest/hello.wasm
if [[ $SKIP_BUILD == 1 ]]; then
    log "SKIP_BUILD=1: using existing builds"
else
    log "building fnhost (release) and the Rust hello function"
    (cd "$ROOT" && cargo build --release -p fnhost)
    (cd "$ROOT" && cargo build --profile guest --target wasm32-wasip2 -p hello)
fi
[[ -x $FNHOST_BIN ]] || die "$FNHOST_BIN missing (build without SKIP_BUILD=1)"
[[ -z $FNHOST_BASELINE_BIN || -x $FNHOST_BASELINE_BIN ]] || die "FNHOST_BASELINE_BIN $FNHOST_BASELINE_BIN is not executable"
[[ -f $RUST_WASM ]] || die "$RUST_WASM missing (build without SKIP_BUILD=1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-deploy-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The tools, installed and run once outside the measurement.
log "warming the packaging tools (a throwaway package of each language)"
bash "$ROOT/guest-sdk/python/package.sh" "$ROOT/functions/python-hello" "$work/warm-py.wasm" 2>/dev/null \
    || die "guest-sdk/python/package.sh failed (run it by hand to see why)"
bash "$ROOT/guest-sdk/js/package.sh" "$ROOT/functions/js-hello" "$work/warm-js.wasm" 2>/dev/null \
    || die "guest-sdk/js/package.sh failed (run it by hand to see why)"

mkdir -p "$ROOT/bench/out"
out=$ROOT/bench/out/deploy-$(date -u +%Y%m%dT%H%M%SZ).txt

set +e
ROOT=$ROOT WORK=$work NEW_BIN=$FNHOST_BIN BASELINE_BIN=${FNHOST_BASELINE_BIN:-$FNHOST_BIN} \
    RUST_WASM=$RUST_WASM ROUNDS=$ROUNDS ONLY=$ONLY STRICT=$STRICT \
    "$PYTHON" - <<'PY' 2>&1 | tee "$out"
import base64, http.client, io, json, os, signal, socket, statistics, subprocess, sys, time, zipfile

ROOT = os.environ["ROOT"]
WORK = os.environ["WORK"]
NEW_BIN = os.environ["NEW_BIN"]
BASELINE_BIN = os.environ["BASELINE_BIN"]
RUST_WASM = os.environ["RUST_WASM"]
ROUNDS = int(os.environ["ROUNDS"])
ONLY = set(os.environ["ONLY"].split(","))
STRICT = os.environ["STRICT"] == "1"
EVENT = b'{"name":"bench"}'

CASES = [
    # key, description, goal in seconds, strict less-than
    ("a", "new Python function", 3.0, False),
    ("b", "second Python function, new handler", 2.0, False),
    ("c", "JavaScript function", 1.0, False),
    ("d", "Rust .wasm", 0.100, False),
    ("e", "restart, everything cached -> first Python response", 0.050, True),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Host:
    """One `fnhost up` on a fixed admin port over its own state directory."""

    def __init__(self, binary, label):
        self.binary, self.label = binary, label
        self.dir = os.path.join(WORK, f"{label}-{time.monotonic_ns()}")
        os.makedirs(self.dir)
        self.state = os.path.join(self.dir, "state")
        self.admin_port = free_port()
        self.manifest = None
        self.proc = None
        self.log = None

    def spawn(self):
        args = [self.binary]
        if self.manifest:
            args += ["-f", self.manifest]
        args += ["up", "--listen", "127.0.0.1:0", "--admin", f"127.0.0.1:{self.admin_port}",
                 "--no-build", "--no-watch", "-q", "--state-dir", self.state]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FNHOST_ACCESS", "FNHOST_SECRET", "FNHOST_ADMIN", "FNHOST_LISTEN", "FNHOST_MANIFEST"))}
        env["FNHOST_TOOLS_DIR"] = os.path.join(ROOT, "target", "guest-tools")
        self.log = open(os.path.join(self.dir, "host.log"), "ab")
        self.proc = subprocess.Popen(args, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)

    def start(self):
        """Start and wait until the admin API answers. An fnhost that needs a manifest gets one
        with a placeholder WAT function (no code shared with the measured functions)."""
        self.spawn()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if self.manifest is None:
                    self.manifest = os.path.join(self.dir, "fnhost.toml")
                    with open(self.manifest, "w") as f:
                        f.write('manifest_version = 1\n\n[function.placeholder]\n'
                                f'source = "{ROOT}/functions/echo-wat/echo.wat"\n')
                    self.spawn()
                    continue
                sys.exit(f"{self.label}: fnhost up exited ({self.proc.returncode}); see {self.dir}/host.log")
            try:
                status, _, _ = self.request("GET", "/2015-03-31/functions")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        sys.exit(f"{self.label}: fnhost up did not answer in 120 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=300)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def create(self, name, runtime, handler, zipped):
        body = json.dumps({
            "FunctionName": name, "Runtime": runtime, "Handler": handler,
            "Role": "arn:aws:iam::000000000000:role/bench",
            "Code": {"ZipFile": base64.b64encode(zipped).decode()},
        })
        return self.request("POST", "/2015-03-31/functions", body,
                            {"Content-Type": "application/json"})

    def wait_active(self, name):
        while True:
            status, _, body = self.request("GET", f"/2015-03-31/functions/{name}/configuration")
            if status != 200:
                raise RuntimeError(f"GetFunctionConfiguration {name}: {status} {body[:300]!r}")
            conf = json.loads(body)
            state = conf.get("State", "Active")
            if state == "Active":
                return
            if state == "Failed":
                raise RuntimeError(f"{name} Failed: {conf.get('StateReasonCode')}: {conf.get('StateReason')}")
            time.sleep(0.02)

    def invoke(self, name):
        status, headers, body = self.request(
            "POST", f"/2015-03-31/functions/{name}/invocations", EVENT,
            {"Content-Type": "application/json"})
        ok = status == 200 and not any(k.lower() == "x-amz-function-error" for k in headers)
        return ok, status, body


def zip_files(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, path in entries:
            z.write(path, arcname)
    return buf.getvalue()


def zip_dir(src):
    entries = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for f in sorted(filenames):
            path = os.path.join(dirpath, f)
            entries.append((os.path.relpath(path, src), path))
    return zip_files(entries)


def package(lang, src, out, handler):
    script = os.path.join(ROOT, "guest-sdk", lang, "package.sh")
    r = subprocess.run(["bash", script, src, out, "--handler", handler],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError(f"{script} failed: {r.stderr.decode()[-2000:]}")


def first_response(host, name):
    host.wait_active(name)
    ok, status, body = host.invoke(name)
    if not ok:
        raise RuntimeError(f"invoke {name}: {status} {body[:300]!r}")
    return body


SOURCES = {
    "a": ("python", "bench-py-hello", "functions/python-hello", "lambda_function.lambda_handler", "python3.12"),
    "b": ("python", "bench-py-greet", "functions/python-greet", "lambda_function.lambda_handler", "python3.12"),
    "c": ("js", "bench-js-hello", "functions/js-hello", "index.handler", "nodejs22.x"),
}


def deploy_today(host, key):
    """package.sh, then CreateFunction with a zip of the .wasm."""
    lang, name, src, handler, _ = SOURCES[key]
    t0 = time.perf_counter()
    wasm = os.path.join(host.dir, f"{name}.wasm")
    package(lang, os.path.join(ROOT, src), wasm, handler)
    status, _, body = host.create(name, "provided.al2023", handler,
                                  zip_files([(f"{name}.wasm", wasm)]))
    if status != 201:
        raise RuntimeError(f"CreateFunction {name}: {status} {body[:300]!r}")
    first_response(host, name)
    return time.perf_counter() - t0


def deploy_source(host, key):
    """CreateFunction with the runtime and a zip of the source; None if the host refuses it."""
    lang, name, src, handler, runtime = SOURCES[key]
    t0 = time.perf_counter()
    status, _, body = host.create(name, runtime, handler, zip_dir(os.path.join(ROOT, src)))
    if status != 201:
        return None, f"{status} {body[:200]!r}"
    first_response(host, name)
    return time.perf_counter() - t0, None


def deploy_rust(host):
    t0 = time.perf_counter()
    status, _, body = host.create("bench-rust-hello", "provided.al2023", "hello.handler",
                                  zip_files([("hello.wasm", RUST_WASM)]))
    if status != 201:
        raise RuntimeError(f"CreateFunction bench-rust-hello: {status} {body[:300]!r}")
    first_response(host, "bench-rust-hello")
    return time.perf_counter() - t0


def restart(host, name):
    """Stop the host, then time spawn → first successful Invoke of `name`."""
    host.stop()
    t0 = time.perf_counter()
    host.spawn()
    deadline = t0 + 120
    while time.perf_counter() < deadline:
        try:
            ok, _, _ = host.invoke(name)
            if ok:
                return time.perf_counter() - t0
        except OSError:
            pass
        if host.proc.poll() is not None:
            raise RuntimeError(f"fnhost up exited on restart; see {host.dir}/host.log")
        time.sleep(0.001)
    raise RuntimeError("no response within 120 s of the restart")


def run_side(binary, label, new_path):
    """One host on an empty state: every selected case; returns {case: (seconds, path)}."""
    host = Host(binary, label)
    results = {}
    try:
        host.start()
        print(f"[{label}] {binary} on {host.state}", flush=True)
        source_refused = None
        for key in ("a", "b", "c"):
            if key not in ONLY and not (key in ("a",) and "e" in ONLY):
                continue
            seconds = None
            if new_path and source_refused is None:
                seconds, source_refused = deploy_source(host, key)
                if source_refused:
                    print(f"[{label}] source zips refused ({source_refused}): today's path instead", flush=True)
            path = "source zip" if seconds is not None else "package.sh + wasm zip"
            if seconds is None:
                seconds = deploy_today(host, key)
            results[key] = (seconds, path)
            print(f"[{label}] {key} {seconds * 1000:9.1f} ms  ({path})", flush=True)
        if "d" in ONLY:
            results["d"] = (deploy_rust(host), "wasm zip")
            print(f"[{label}] d {results['d'][0] * 1000:9.1f} ms", flush=True)
        if "e" in ONLY:
            results["e"] = (restart(host, "bench-py-hello"), "restart")
            print(f"[{label}] e {results['e'][0] * 1000:9.1f} ms", flush=True)
    finally:
        host.stop()
    return results


def warm_generic_runtimes():
    """A throwaway host deploys a Python and a JavaScript function from source, so fnhost builds
    its generic runtimes and compiles them: once per machine (the tools directory), as the
    tools' installation, not once per host or per function."""
    host = Host(NEW_BIN, "warm-up")
    try:
        host.start()
        for key in ("a", "c"):
            seconds, refused = deploy_source(host, key)
            if refused:
                return
            print(f"[warm-up] {key} {seconds:.2f} s", flush=True)
    finally:
        host.stop()


if set(ONLY) & {"a", "b", "c", "e"}:
    warm_generic_runtimes()

rounds = {"new": [], "baseline": []}
for r in range(ROUNDS):
    rounds["baseline"].append(run_side(BASELINE_BIN, "baseline", new_path=False))
    rounds["new"].append(run_side(NEW_BIN, "new", new_path=True))


def median(side, key):
    values = [r[key][0] for r in rounds[side] if key in r]
    return statistics.median(values) if values else None


def fmt(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


print()
print(f"deploy → first response, median of {ROUNDS} round(s); baseline: {BASELINE_BIN}, today's path; new: {NEW_BIN}")
print()
header = ("case", "new path", "time", "goal", "met", "baseline", "baseline / new")
rows = []
missed = 0
for key, what, goal, strict in CASES:
    if key not in ONLY:
        continue
    new = median("new", key)
    base = median("baseline", key)
    paths = {r[key][1] for r in rounds["new"] if key in r}
    met = new is not None and (new < goal if strict else new <= goal)
    missed += 0 if met else 1
    goal_text = ("< " if strict else "≤ ") + fmt(goal)
    ratio = f"{base / new:.1f}×" if new and base else "-"
    rows.append((f"{key}  {what}", ", ".join(sorted(paths)), fmt(new), goal_text,
                 "met" if met else "NOT met", fmt(base), ratio))
widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
for row in [header] + rows:
    print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
if STRICT and missed:
    sys.exit(1)
PY
status=${PIPESTATUS[0]}
set -e
log "raw output and table: $out"
exit "$status"
