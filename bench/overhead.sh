#!/usr/bin/env bash
# Per-event overhead of fnhost next to a bare wasmtime loop (same run), fuel's cost on a
# CPU-heavy function, and timeout lateness. Prints criterion's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null
cargo build --profile guest --target wasm32-wasip2 -p hello -p cpu-burn -p hostile-loop
cargo bench -p fnhost-runtime --bench overhead -- --warm-up-time 2 --measurement-time 5 "$@"
