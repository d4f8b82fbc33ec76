#!/usr/bin/env bash
# Build every non-Rust guest under functions/ into target/guests/<name>.wasm, installing what it
# needs first on a fresh Debian machine (with Rust already there):
#   - clang, lld, wasi-libc (apt) for the C example; python3 (3.10+) with venv, and nodejs (18+)
#     with npm, from apt when missing; ca-certificates for pip and npm,
#   - componentize-py (pip, pinned, in a venv) for Python,
#   - componentize-qjs and esbuild (npm ci of guest-sdk/js/package-lock.json) for JavaScript;
# the last two go to target/guest-tools (or $FNHOST_TOOLS_DIR) through the packaging scripts.
# Idempotent: a guest whose output is newer than its sources, the SDK and wit/ is not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/guests
mkdir -p "$out"

# C toolchain: Debian's clang targets wasm32-wasi with wasi-libc's sysroot. Debian's own python3
# needs python3-venv for the componentize-py venv (other Pythons ship ensurepip). Node.js from
# elsewhere (nodesource, nvm) brings its own npm.
apt_packages=()
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null || [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
  apt_packages+=(clang lld wasi-libc libclang-rt-dev-wasm32)
fi
if ! command -v python3 >/dev/null; then
  apt_packages+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip' 2>/dev/null; then
  apt_packages+=(python3-venv)
fi
command -v node >/dev/null || apt_packages+=(nodejs)
command -v npm >/dev/null || apt_packages+=(npm)
[ -f /etc/ssl/certs/ca-certificates.crt ] || apt_packages+=(ca-certificates)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "guests: installing ${apt_packages[*]} (apt)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

# stale OUT INPUT... : true when OUT is missing or any INPUT file is newer.
stale() {
  local target=$1
  shift
  [ -f "$target" ] || return 0
  [ -n "$(find "$@" -type f -newer "$target" -not -path '*/__pycache__/*' -not -path '*/node_modules/*' -print -quit)" ]
}

built=0
python_guest() {
  local name=$1 handler=${2:-lambda_function.lambda_handler}
  if stale "$out/$name.wasm" "functions/$name" guest-sdk/python wit; then
    bash guest-sdk/python/package.sh "functions/$name" "$out/$name.wasm" --handler "$handler"
    built=$((built + 1))
  fi
}
js_guest() {
  local name=$1 handler=${2:-index.handler}
  if stale "$out/$name.wasm" "functions/$name" guest-sdk/js/runtime.js guest-sdk/js/objects.js \
      guest-sdk/js/fetch.js guest-sdk/js/url.js guest-sdk/js/web.js guest-sdk/js/aws guest-sdk/js/package.mjs guest-sdk/js/package-lock.json guest-sdk/js/wit wit; then
    bash guest-sdk/js/package.sh "functions/$name" "$out/$name.wasm" --handler "$handler"
    built=$((built + 1))
  fi
}
c_guest() {
  local name=$1
  if stale "$out/$name.wasm" "functions/$name"; then
    bash "functions/$name/build.sh" "$out/$name.wasm"
    echo "fnhost: built functions/$name -> $out/$name.wasm" >&2
    built=$((built + 1))
  fi
}

python_guest python-hello
python_guest python-greet
python_guest python-s3-logger
python_guest python-hostile
js_guest js-hello
js_guest js-throw
c_guest c-hello
c_guest c-tmp
# issue 13 (execution environment): python-s3-read python-aws js-s3-read js-aws c-tmp
python_guest python-s3-read
python_guest python-aws
# issue 14 (outbound HTTP)
python_guest python-http
js_guest js-s3-read
js_guest js-aws
# issue 14 (outbound HTTP): js-fetch
js_guest js-fetch

echo "guests: $built rebuilt, all in $out/" >&2
