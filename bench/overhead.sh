#!/usr/bin/env bash
# Per-event overhead of fnhost next to a bare wasmtime loop (same run), fuel's cost on a
# CPU-heavy function, and timeout lateness. Prints criterion's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
# The guests (hello, cpu-burn, hostile-loop) are built with the bench, by fnhost-test-programs.
rustup target add wasm32-wasip2 >/dev/null
cargo bench -p fnhost-runtime --bench overhead -- --warm-up-time 2 --measurement-time 5 "$@"
