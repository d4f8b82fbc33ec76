#!/bin/sh
# Build {{name}} as a WASI p1 command module (a custom runtime: event on stdin, response on
# stdout, log on stderr):   sh functions/{{name}}/build.sh OUT.wasm
# Needs clang with wasm32-wasi support and wasi-libc: on Debian/Ubuntu
#   apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32
# or the WASI SDK (https://github.com/WebAssembly/wasi-sdk) with WASI_SDK_PATH set.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: sh functions/{{name}}/build.sh OUT.wasm}
if [ -n "${WASI_SDK_PATH:-}" ]; then
  cc="$WASI_SDK_PATH/bin/clang"
  sysroot="--sysroot=$WASI_SDK_PATH/share/wasi-sysroot"
elif command -v clang >/dev/null && [ -f /usr/lib/wasm32-wasi/libc.a ]; then
  cc=clang
  sysroot=
else
  echo "error: building {{name}} needs clang and wasi-libc: apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32, or set WASI_SDK_PATH to a WASI SDK" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086 # $sysroot is one flag or nothing
"$cc" --target=wasm32-wasi $sysroot -Os -Wall -Wextra -Werror -Wl,--strip-all -o "$out" "$here/main.c"
