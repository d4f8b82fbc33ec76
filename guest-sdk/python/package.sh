#!/usr/bin/env bash
# Package a Lambda-style Python function directory as an fnhost component (world `guest`:
# the handler plus outbound HTTP through wasi:http).
#
#   bash guest-sdk/python/package.sh SRC_DIR OUT.wasm [--handler lambda_function.lambda_handler]
#   bash guest-sdk/python/package.sh --runtime-image OUT_DIR
#
# --handler MODULE.FUNCTION  as Lambda's handler setting (default lambda_function.lambda_handler);
#                            MODULE may be dotted or a path (pkg/mod.fn)
#
# SRC_DIR is what a Lambda deployment package holds: the handler module and any pure-Python
# dependencies beside it (`pip install --target SRC_DIR ...`). A requirements.txt in SRC_DIR is
# installed too (pure-Python wheels only; cached by its hash). Native extensions do not work:
# the code runs in componentize-py's CPython 3.14 built for WASI.
#
# FNHOST_OPT_DIR, when set, is the function's layers merged as they would be under /opt: its
# python/ and python/lib/python3.x/site-packages/ are importable after SRC_DIR, as on Lambda.
#
# --runtime-image builds the generic runtime instead (fnhost's fast tier, one per SDK version): a
# component that imports the module named by `_HANDLER` from /var/task at each event, and the
# files it finds at run time: OUT_DIR/runtime.wasm, OUT_DIR/lang (mounted at /var/lang: CPython's
# standard library, compiled) and OUT_DIR/runtime (mounted at /var/runtime: fnhost's modules,
# boto3/botocore/urllib3 included).
#
# componentize-py (pinned below) is installed on first use into a venv under $FNHOST_TOOLS_DIR
# (default: target/guest-tools of this repository).
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1
# CPython that componentize-py embeds; dependency wheels are picked for it.
GUEST_PYTHON=3.14

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
tools=${FNHOST_TOOLS_DIR:-$repo/target/guest-tools}

usage() {
  [ $# -gt 0 ] && echo "error: $*" >&2
  echo "usage: bash guest-sdk/python/package.sh SRC_DIR OUT.wasm [--handler lambda_function.lambda_handler]" >&2
  exit 2
}

handler=lambda_function.lambda_handler
image=
positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --runtime-image) [ $# -ge 2 ] || usage "--runtime-image needs a directory"; image=$2; shift 2 ;;
    --handler) [ $# -ge 2 ] || usage "--handler needs a value"; handler=$2; shift 2 ;;
    --handler=*) handler=${1#--handler=}; shift ;;
    -h|--help) usage ;;
    -*) usage "unknown option \`$1\`" ;;
    *) positional+=("$1"); shift ;;
  esac
done
if [ -z "$image" ]; then
  [ ${#positional[@]} -eq 2 ] || usage "expected SRC_DIR and OUT.wasm"
  src=${positional[0]}
  out=${positional[1]}
  [ -d "$src" ] || usage "\`$src\` is not a directory"
  case $handler in
    *.*) ;;
    *) usage "bad handler \`$handler\`: expected MODULE.FUNCTION, e.g. lambda_function.lambda_handler" ;;
  esac
  module=${handler%.*}
  module_file=$src/${module//.//}.py
  [ -f "$module_file" ] || [ -f "$src/${module//.//}/__init__.py" ] \
    || usage "no \`${module//.//}.py\` in \`$src\` for handler \`$handler\`; set --handler MODULE.FUNCTION"
else
  [ ${#positional[@]} -eq 0 ] || usage "--runtime-image takes no SRC_DIR or OUT.wasm"
fi

# The tool, once per version.
venv=$tools/componentize-py-$COMPONENTIZE_PY_VERSION
if [ ! -f "$venv/.installed" ]; then
  mkdir -p "$tools"
  exec 9>"$tools/.python.lock"
  flock 9
  if [ ! -f "$venv/.installed" ]; then
    echo "fnhost: installing componentize-py $COMPONENTIZE_PY_VERSION into $venv, once" >&2
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
      || { echo "error: python3 3.10 or later is needed to install componentize-py" >&2; exit 2; }
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
    touch "$venv/.installed"
  fi
  exec 9>&-
fi

# The generic runtime: /0 receives the standard library while the snapshot is taken; fnhost's
# modules (/1, /2) are at /var/runtime at run time, the standard library's copy at
# /var/lang/lib/python3.x (/4 is the empty site-packages below).
if [ -n "$image" ]; then
  stage=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-py-image-XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/lang" "$stage/config" "$stage/runtime" "$stage/no-venv/lib/site-packages"
  cat >"$stage/config/fnhost_handler_config.py" <<'PY'
HANDLER = None
GENERIC = True
HARVEST = "/0"
MOUNTS = {"/0": None, "/1": "/var/runtime", "/2": "/var/runtime", "/3": None, "/4": None}
SHIMS = "/2"
PY
  if ! VIRTUAL_ENV=$stage/no-venv "$venv/bin/componentize-py" -d "$repo/wit" -w guest componentize fnhost_lambda \
      -p "$stage/lang" -p "$here" -p "$here/aws" -p "$stage/config" -o "$stage/runtime.wasm" >"$stage/log" 2>&1; then
    cat "$stage/log" >&2
    echo "error: componentize-py failed to build the generic Python runtime (see above)" >&2
    exit 1
  fi
  [ -d "$stage/lang/lib" ] || { cat "$stage/log" >&2; echo "error: the generic Python runtime did not copy its standard library" >&2; exit 1; }
  cp "$here"/*.py "$stage/runtime/"
  cp -r "$here/aws/." "$stage/runtime/"
  find "$stage/runtime" -name __pycache__ -prune -exec rm -rf {} +
  parent=$(dirname "$image")
  mkdir -p "$parent"
  tmp_image=$(mktemp -d "$parent/.python-image-XXXXXX")
  mv "$stage/runtime.wasm" "$stage/lang" "$stage/runtime" "$tmp_image/"
  rm -rf "$image"
  mv "$tmp_image" "$image"
  echo "fnhost: built the generic Python runtime -> $image" >&2
  exit 0
fi

# Each `-p` directory is mounted at /0, /1, ... while packaging; `mounts` says where its files
# are at run time ("" = nowhere), for fnhost_lambda to point sys.path and __file__ there.
paths=(-p "$src")
mounts=("/var/task")
if [ -f "$src/requirements.txt" ]; then
  req_hash=$(sha256sum "$src/requirements.txt" | cut -c1-16)
  deps=$tools/python-deps/$req_hash
  if [ ! -f "$deps/.installed" ]; then
    echo "fnhost: installing $src/requirements.txt (pure-Python wheels for CPython $GUEST_PYTHON) into $deps" >&2
    rm -rf "$deps"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-compile \
      --target "$deps" --only-binary=:all: --implementation py --python-version "$GUEST_PYTHON" \
      --platform any -r "$src/requirements.txt" \
      || { echo "error: installing requirements.txt failed; only pure-Python packages (py3-none-any wheels) can run in a WebAssembly function" >&2; exit 1; }
    touch "$deps/.installed"
  fi
  paths+=(-p "$deps")
  mounts+=("")
fi

# Layers (FNHOST_OPT_DIR, the function's layers merged as Lambda extracts them to /opt): after
# the function's own files, python/lib/python3.x/site-packages then python, Lambda's order.
# Like requirements.txt, only pure-Python packages run.
if [ -n "${FNHOST_OPT_DIR:-}" ]; then
  [ -d "$FNHOST_OPT_DIR" ] || usage "FNHOST_OPT_DIR \`$FNHOST_OPT_DIR\` is not a directory"
  # Newest Python first, should a layer carry several.
  mapfile -t sites < <(compgen -G "$FNHOST_OPT_DIR/python/lib/python3.*/site-packages" | sort -rV)
  for site in "${sites[@]}"; do
    [ -d "$site" ] || continue
    paths+=(-p "$site")
    mounts+=("/opt/${site#"$FNHOST_OPT_DIR"/}")
  done
  if [ -d "$FNHOST_OPT_DIR/python" ]; then
    paths+=(-p "$FNHOST_OPT_DIR/python")
    mounts+=("/opt/python")
  fi
fi
# fnhost's boto3/botocore and urllib3; fnhost_lambda serves them ahead of any real copy in the
# package.
# Then this directory and the shims (at /var/runtime when fnhost has built its generic runtime,
# which brings them), and the generated handler setting (gone at run time).
shims_index=$((${#mounts[@]} + 1))
mounts+=("/var/runtime" "/var/runtime" "")

stage=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-py-XXXXXX")
trap 'rm -rf "$stage"' EXIT
python3 - "$handler" "$shims_index" "${mounts[@]}" >"$stage/fnhost_handler_config.py" <<'PY'
import sys
handler, shims, mounts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("HANDLER =", repr(handler))
print("MOUNTS =", repr({f"/{i}": m or None for i, m in enumerate(mounts)}))
print("SHIMS =", repr(f"/{shims}"))
PY

mkdir -p "$(dirname "$out")"
tmp_out=$out.$$.tmp
# Without VIRTUAL_ENV, componentize-py asks `python3` for its site-packages and adds them to the
# build's path: whatever the build machine's Python has installed would be importable while the
# handler is loaded (and then missing at run time), and walking it takes a few tenths of a second. An
# empty one keeps the build to the directories above.
mkdir -p "$stage/no-venv/lib/site-packages"
# The function's directory must be the first path: fnhost_lambda maps it to /var/task/ in traces.
if ! VIRTUAL_ENV=$stage/no-venv "$venv/bin/componentize-py" -d "$repo/wit" -w guest componentize fnhost_lambda \
    "${paths[@]}" -p "$here" -p "$here/aws" -p "$stage" -o "$tmp_out" >"$stage/log" 2>&1; then
  cat "$stage/log" >&2
  rm -f "$tmp_out"
  echo "error: componentize-py failed for \`$src\` (see above)" >&2
  exit 1
fi
mv "$tmp_out" "$out"
if [ -f "$stage/fnhost_handler_config.py.init-error" ]; then
  echo "fnhost: warning: $handler cannot be loaded; every invocation will fail with:" >&2
  echo "  $(cat "$stage/fnhost_handler_config.py.init-error")" >&2
  echo "  (top-level code runs at build time: read environment variables inside the handler)" >&2
fi
size=$(stat -c %s "$out")
echo "fnhost: packaged $module_file (handler $handler) -> $out ($((size / 1000000)).$(((size / 10000) % 100)) MB)" >&2
