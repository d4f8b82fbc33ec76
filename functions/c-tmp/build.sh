#!/usr/bin/env bash
# Build the C /tmp fixture as a WASI p1 command module (a custom runtime):
#   bash functions/c-tmp/build.sh OUT.wasm
# Needs Debian's clang, lld and wasi-libc (bash .ci/guests.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: bash functions/c-tmp/build.sh OUT.wasm}
if ! command -v clang >/dev/null || [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
  echo "error: clang and wasi-libc are needed: apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")"
clang --target=wasm32-wasi -Os -Wall -Wextra -Werror -Wl,--strip-all -o "$out" "$here/tmp.c"
