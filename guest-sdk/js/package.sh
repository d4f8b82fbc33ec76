#!/usr/bin/env bash
# Package a Lambda-style Node.js function directory as an fnhost handler component.
#
#   bash guest-sdk/js/package.sh SRC_DIR OUT.wasm [--handler index.handler] [--opt-size]
#   bash guest-sdk/js/package.sh --generic OUT.wasm [--opt-size]
#   bash guest-sdk/js/package.sh --prepare SRC_DIR ROOT_DIR [--handler index.handler]
#
# --generic and --prepare are the fast tier (README.md): the one generic runtime component, and a
# function's bundle for it in ROOT_DIR/<hash>/function.js (the directory is printed last, as
# `fnhost: runtime dir DIR`).
#
# --handler FILE.EXPORT  as Lambda's handler setting: FILE.js, FILE.mjs or FILE.cjs in SRC_DIR
#                        exporting EXPORT (ES `export const handler` or CommonJS `exports.handler`);
#                        default index.handler
# --opt-size             QuickJS built for size (smaller component, slightly slower)
#
# `@aws-sdk/client-s3` and `@aws-sdk/client-lambda` resolve to fnhost's modules in aws/. When
# FNHOST_OPT_DIR is set (the builder sets it to a function's merged layers), packages also resolve
# from its nodejs/node22/node_modules, nodejs/node20/node_modules and nodejs/node_modules.
#
# The tools (componentize-qjs and esbuild, pinned by package-lock.json) are installed with
# `npm ci` on first use into $FNHOST_TOOLS_DIR (default: target/guest-tools of this repository).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
tools=${FNHOST_TOOLS_DIR:-$repo/target/guest-tools}

command -v node >/dev/null || { echo "error: node (Node.js 20 or later) is needed to package JavaScript functions" >&2; exit 2; }

lock_hash=$(sha256sum "$here/package-lock.json" | cut -c1-16)
dir=$tools/js-$lock_hash
if [ ! -f "$dir/.installed" ]; then
  mkdir -p "$tools"
  exec 9>"$tools/.js.lock"
  flock 9
  if [ ! -f "$dir/.installed" ]; then
    echo "fnhost: installing the JavaScript packaging tools (componentize-qjs, esbuild; npm ci) into $dir, once" >&2
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    cp "$here/package.json" "$here/package-lock.json" "$dir.tmp/"
    (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    touch "$dir/.installed"
  fi
  exec 9>&-
fi

exec node "$here/package.mjs" --tools "$dir" "$@"
