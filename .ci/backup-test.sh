#!/usr/bin/env bash
# Online backup: `roster backup` copies a SQLite store while a write load runs against the
# server using it; a second server starts on the restored copy, which must hold every write
# acknowledged before the backup began, with nothing half-applied.
#   bash .ci/backup-test.sh
# Prints `backup: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
[ -x "$BIN" ] || { echo "no $BIN: run cargo leptos build (or cargo build -p server) first" >&2; echo "backup: 0 passed, 1 failed"; exit 2; }
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p target/site "$WORK/live" "$WORK/backups" "$WORK/restored"
touch "$WORK/acks.jsonl"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
KEY=sk_test_backup_0123456789abcdef0123456789abcdef
CLIENT_ID=client_backup
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }

serve() { # serve DB_URL PORT LOG
  ROSTER_DATABASE_URL="$1" ROSTER_ADDR="127.0.0.1:$2" ROSTER_DEMO_DATA=false \
    ROSTER_BOOTSTRAP_EMAIL=admin@backup.test ROSTER_BOOTSTRAP_PASSWORD=backup-admin-password \
    ROSTER_BOOTSTRAP_API_KEY=$KEY ROSTER_BOOTSTRAP_CLIENT_ID=$CLIENT_ID RUST_LOG=warn \
    "$BIN" serve >>"$3" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$2/sso/jwks/x" >/dev/null && return 0; sleep 0.2; done
  cat "$3" >&2
  return 1
}

LIVE="sqlite:$WORK/live/roster.db"
LIVE_PORT=$(free_port)
serve "$LIVE" "$LIVE_PORT" "$WORK/live.log"
LIVE_PID=${PIDS[-1]}
python3 .ci/durability.py load --base "http://127.0.0.1:$LIVE_PORT" --key "$KEY" --client-id "$CLIENT_ID" \
  --log "$WORK/acks.jsonl" --threads 6 --seconds 60 2>>"$WORK/load.log" &
LOAD=$!
PIDS+=("$LOAD")
for _ in $(seq 300); do [ "$(wc -l <"$WORK/acks.jsonl" 2>/dev/null || echo 0)" -ge 250 ] && break; sleep 0.1; done

# The backup, under load: acknowledged before this instant means it must be in the copy.
STARTED=$(python3 -c 'import time; print(time.time())')
if ROSTER_DATABASE_URL="$LIVE" "$BIN" backup "$WORK/backups/roster.db" >"$WORK/backup.out" 2>&1; then
  ok
else
  fail "roster backup under load: $(cat "$WORK/backup.out")"
fi
cat "$WORK/backup.out"
lines_at_backup=$(wc -l <"$WORK/acks.jsonl")
sleep 1
# The load was still running: writes were acknowledged after the backup too.
[ "$(wc -l <"$WORK/acks.jsonl")" -gt "$lines_at_backup" ] && ok || fail "the load kept writing during the backup"

# An existing backup is never overwritten without --force; nothing half-written is left.
before=$(sha256sum <"$WORK/backups/roster.db")
if ROSTER_DATABASE_URL="$LIVE" "$BIN" backup "$WORK/backups/roster.db" >"$WORK/again.out" 2>&1; then
  fail "a second backup onto the same file succeeded without --force"
else
  grep -q -- "--force" "$WORK/again.out" && ok || fail "the refusal names --force: $(cat "$WORK/again.out")"
fi
[ "$(sha256sum <"$WORK/backups/roster.db")" = "$before" ] && ok || fail "the refused backup changed the file"
ROSTER_DATABASE_URL="$LIVE" "$BIN" backup --force "$WORK/backups/roster-forced.db" >/dev/null 2>&1 && ok \
  || fail "backup --force onto a new file"
[ -z "$(find "$WORK/backups" -name '*.partial')" ] && ok || fail "a temporary file was left: $(ls -a "$WORK/backups")"
# PostgreSQL: the command explains pg_dump and fails.
if "$BIN" backup --database-url postgres://roster@127.0.0.1:1/roster "$WORK/backups/pg.db" >"$WORK/pg.out" 2>&1; then
  fail "backup of a PostgreSQL URL succeeded"
else
  grep -q "pg_dump" "$WORK/pg.out" && grep -q "pg_restore" "$WORK/pg.out" && ok \
    || fail "the PostgreSQL answer gives the recipe: $(cat "$WORK/pg.out")"
fi

kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
kill "$LIVE_PID"

# Restore: the backup file becomes the database of a new server (no -wal/-shm beside it).
cp "$WORK/backups/roster.db" "$WORK/restored/roster.db"
RESTORED_PORT=$(free_port)
if serve "sqlite:$WORK/restored/roster.db" "$RESTORED_PORT" "$WORK/restored.log"; then
  set +e
  python3 .ci/durability.py check --db "sqlite:$WORK/restored/roster.db" --log "$WORK/acks.jsonl" \
    --acked-before "$STARTED" --base "http://127.0.0.1:$RESTORED_PORT" --key "$KEY" | tee "$WORK/check.out"
  set -e
else
  fail "a server did not start on the restored backup"
  echo "0 passed, 0 failed" >"$WORK/check.out"
fi
read -r check_passed check_failed < <(awk '/passed, .* failed$/ { print $(NF-3), $(NF-1) }' "$WORK/check.out" | tail -n 1) || true
passed=$((passed + ${check_passed:-0}))
failed=$((failed + ${check_failed:-1}))  # no count: the checker itself failed
if [ "$failed" -ne 0 ]; then tail -n 20 "$WORK/load.log" "$WORK/live.log" "$WORK/restored.log" >&2; fi
echo "backup: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
