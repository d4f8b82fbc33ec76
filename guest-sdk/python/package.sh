#!/usr/bin/env bash
# Package a Lambda-style Python function directory as an fnhost handler component.
#
#   bash guest-sdk/python/package.sh SRC_DIR OUT.wasm [--handler lambda_function.lambda_handler]
#
# --handler MODULE.FUNCTION  as Lambda's handler setting (default lambda_function.lambda_handler);
#                            MODULE may be dotted or a path (pkg/mod.fn)
#
# SRC_DIR is what a Lambda deployment package holds: the handler module and any pure-Python
# dependencies beside it (`pip install --target SRC_DIR ...`). A requirements.txt in SRC_DIR is
# installed too (pure-Python wheels only; cached by its hash). Native extensions do not work:
# the code runs in componentize-py's CPython 3.14 built for WASI.
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
positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --handler) [ $# -ge 2 ] || usage "--handler needs a value"; handler=$2; shift 2 ;;
    --handler=*) handler=${1#--handler=}; shift ;;
    -h|--help) usage ;;
    -*) usage "unknown option \`$1\`" ;;
    *) positional+=("$1"); shift ;;
  esac
done
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

paths=(-p "$src")
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
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/fnhost-py-XXXXXX")
trap 'rm -rf "$stage"' EXIT
printf 'HANDLER = %s\n' "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$handler")" \
  >"$stage/fnhost_handler_config.py"

mkdir -p "$(dirname "$out")"
tmp_out=$out.$$.tmp
# The function's directory must be the first path: fnhost_lambda maps it to /var/task/ in traces.
if ! "$venv/bin/componentize-py" -d "$repo/wit" -w handler componentize fnhost_lambda \
    "${paths[@]}" -p "$here" -p "$stage" -o "$tmp_out" >"$stage/log" 2>&1; then
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
