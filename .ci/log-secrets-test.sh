#!/usr/bin/env bash
# Secrets never reach the log: `roster serve` with RUST_LOG=debug and JSON logs runs flows
# that carry secrets, then its whole log is searched for each (.ci/ops/log_secrets.py).
# Needs the debug binary. Prints `log-secrets: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
mkdir -p target/site
exec python3 .ci/ops/log_secrets.py --bin "$BIN"
