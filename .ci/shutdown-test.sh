#!/usr/bin/env bash
# SIGTERM under load: `roster serve` answers 503 on /readyz, lets every request in flight
# finish and exits 0 (.ci/ops/shutdown.py). Needs the debug binary (cargo leptos build or
# cargo build -p server). Prints `shutdown: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
mkdir -p target/site
exec python3 .ci/ops/shutdown.py --bin "$BIN"
