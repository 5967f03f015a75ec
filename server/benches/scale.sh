#!/usr/bin/env bash
# Process figures at 1,000,000 users, per backend: seeding time through the bulk path,
# resident memory of `roster serve` when idle and after load, and REST throughput for
# list users at 32 connections (wrk).
#
#   bash server/benches/scale.sh                  # SQLite, then PostgreSQL (a throwaway cluster)
#   USERS=100000 ORGS=1000 bash server/benches/scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
USERS="${USERS:-1000000}"
ORGS="${ORGS:-10000}"
KEY=sk_scale_0123456789abcdef0123456789abcdef
WORK=$(mktemp -d)
PGDIR=""
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  [ -n "$PGDIR" ] && bash .ci/postgres.sh stop "$PGDIR"
  rm -rf "$WORK"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -p server --bin roster
mkdir -p target/site

rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

run() {
  local backend=$1 url=$2 port seconds
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  seconds=$( { /usr/bin/time -f %e "$TARGET/release/roster" --database-url "$url" seed --users "$USERS" --orgs "$ORGS" >/dev/null; } 2>&1 | tail -n 1)
  ROSTER_DATABASE_URL="$url" ROSTER_ADDR="127.0.0.1:$port" ROSTER_DEMO_DATA=false ROSTER_BOOTSTRAP_PASSWORD=scale-admin \
    ROSTER_BOOTSTRAP_API_KEY=$KEY RUST_LOG=warn "$TARGET/release/roster" serve >"$WORK/$backend.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/sso/jwks/x" >/dev/null && break; sleep 0.2; done
  sleep 2
  local idle rps after
  idle=$(rss_mb "$SERVER")
  rps=$(wrk -t2 -c32 -d10s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port/user_management/users?limit=10" | awk '/Requests\/sec/ { printf "%.0f", $2 }')
  after=$(rss_mb "$SERVER")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  echo "| $backend | ${seconds} s | ${idle} MB | ${after} MB | ${rps} |"
}

echo "| backend ($USERS users, $ORGS organizations) | seeding | RSS idle | RSS after list load | list users, 32 connections (requests/s) |"
echo "|---|---|---|---|---|"
run SQLite "sqlite:$WORK/scale.db"
eval "$(bash .ci/postgres.sh start)"
PGDIR=$ROSTER_TEST_PGDATA
run PostgreSQL "$(bash .ci/postgres.sh createdb)"
