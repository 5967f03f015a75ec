#!/usr/bin/env bash
# The import benchmark: 1,000,000 users with bcrypt hashes into an empty SQLite store and, when
# ROSTER_BENCH_POSTGRES names a server (postgres://user@host:port), into a new PostgreSQL
# database on it. Not part of `make test`; the README records its results.
#   cargo build --release -p server --features app/ssr --bin roster
#   bash server/benches/import_users.sh [USERS]
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS="${1:-1000000}"
BIN="${ROSTER_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/roster}"
WORK="${ROSTER_BENCH_DIR:-$(mktemp -d)}"
FILE="$WORK/users-$USERS.jsonl"
[ -s "$FILE" ] || python3 server/benches/import_users.py "$USERS" >"$FILE"
echo "$(nproc) cores, $(du -h "$FILE" | cut -f1) file, $USERS users"

run() { # engine name, database URL
  local started elapsed
  started=$(date +%s.%N)
  RUST_LOG=warn "$BIN" --database-url "$2" import "$FILE" | tail -n 2
  elapsed=$(echo "$(date +%s.%N) - $started" | bc)
  printf '%s: %.1f s, %.0f users/s\n' "$1" "$elapsed" "$(echo "$USERS / $elapsed" | bc -l)"
}
rm -f "$WORK/bench.db"*
run SQLite "sqlite:$WORK/bench.db"
if [ -n "${ROSTER_BENCH_POSTGRES:-}" ]; then
  NAME="roster_bench_$(date +%s)"
  psql "$ROSTER_BENCH_POSTGRES/postgres" -qc "CREATE DATABASE $NAME"
  run PostgreSQL "$ROSTER_BENCH_POSTGRES/$NAME"
fi
