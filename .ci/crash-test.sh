#!/usr/bin/env bash
# Crash safety: a concurrent write load through the REST API (users created and renamed,
# organizations, memberships, invitations, password sign-ins) logs every acknowledged write;
# the server is killed with SIGKILL mid-load, twice, and restarted on the same store; then
# every acknowledged write must be there with its state, and nothing half-applied.
#   bash .ci/crash-test.sh sqlite
#   bash .ci/crash-test.sh postgres   # needs ROSTER_TEST_POSTGRES (eval "$(bash .ci/postgres.sh start)")
# Prints `crash (<backend>): N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:?usage: crash-test.sh sqlite|postgres}"
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
[ -x "$BIN" ] || { echo "no $BIN: run cargo leptos build (or cargo build -p server) first" >&2; echo "crash ($BACKEND): 0 passed, 1 failed"; exit 2; }
WORK=$(mktemp -d)
SERVER=""
LOAD=""
cleanup() {
  [ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null || true
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p target/site
touch "$WORK/acks.jsonl"

case "$BACKEND" in
  sqlite) DB_URL="sqlite:$WORK/roster.db" ;;
  postgres)
    : "${ROSTER_TEST_POSTGRES:?start a cluster first: eval \"\$(bash .ci/postgres.sh start)\"}"
    DB_URL=$(bash .ci/postgres.sh createdb)
    ;;
  *) echo "usage: crash-test.sh sqlite|postgres" >&2; exit 2 ;;
esac
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
KEY=sk_test_crash_0123456789abcdef0123456789abcdef
CLIENT_ID=client_crash

serve() {
  ROSTER_DATABASE_URL="$DB_URL" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_DEMO_DATA=false \
    ROSTER_BOOTSTRAP_EMAIL=admin@crash.test ROSTER_BOOTSTRAP_PASSWORD=crash-admin-password \
    ROSTER_BOOTSTRAP_API_KEY=$KEY ROSTER_BOOTSTRAP_CLIENT_ID=$CLIENT_ID RUST_LOG=warn \
    "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 150); do curl -sf "$BASE/sso/jwks/x" >/dev/null && return 0; sleep 0.2; done
  cat "$WORK/server.log" >&2
  return 1
}

acks() {
  grep -c '"kind": "[a-z_.]*created\|"kind": "user.updated"' "$WORK/acks.jsonl" || true
}

serve
for round in 1 2; do
  python3 .ci/durability.py load --base "$BASE" --key "$KEY" --client-id "$CLIENT_ID" \
    --log "$WORK/acks.jsonl" --threads 8 --seconds 60 2>>"$WORK/load.log" &
  LOAD=$!
  # Kill once the load is well under way (and at a different moment each round).
  target=$(( $(acks) + 150 + RANDOM % 150 ))
  for _ in $(seq 300); do [ "$(acks)" -ge "$target" ] && break; sleep 0.1; done
  kill -9 "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  echo "round $round: killed the server after $(acks) acknowledged writes"
  sleep 0.5
  kill "$LOAD" 2>/dev/null || true
  wait "$LOAD" 2>/dev/null || true
  LOAD=""
  grep '^load:' "$WORK/load.log" | tail -n 1
  if ! serve; then
    echo "FAILED: the server did not start again on the store"
    echo "crash ($BACKEND): 0 passed, 1 failed"
    exit 1
  fi
done

set +e
python3 .ci/durability.py check --db "$DB_URL" --log "$WORK/acks.jsonl" --base "$BASE" --key "$KEY" \
  --label "crash ($BACKEND): " | tee "$WORK/check.out"
result=${PIPESTATUS[0]}
set -e
if ! grep -q "^crash ($BACKEND): " "$WORK/check.out"; then
  echo "crash ($BACKEND): 0 passed, 1 failed"
  result=1
fi
if [ "$result" -ne 0 ]; then tail -n 20 "$WORK/load.log" "$WORK/server.log" >&2; fi
exit "$result"
