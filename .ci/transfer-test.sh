#!/usr/bin/env bash
# `roster export` and `roster import` as an operator runs them: a file with some of every
# record type, a dry run that writes nothing, an import, a second import that changes nothing,
# a round trip through a second store, and a file with bad lines (exit status 1, each bad line
# named with its number). On SQLite, and also on PostgreSQL when ROSTER_TEST_POSTGRES names a
# running cluster (see postgres.sh). Prints `transfer: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0
check() { # name, then a command that must succeed
  local name=$1
  shift
  if "$@" >>"$WORK/checks.log" 2>&1; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); echo "FAILED: $name" >&2; fi
}
roster() { RUST_LOG=warn "$BIN" --database-url "$DB" "$@"; }

cat >"$WORK/sample.jsonl" <<'JSONL'
{"type":"permission","slug":"reports:read","name":"Read reports"}
{"type":"organization","id":"org_01JAAAAAAAAAAAAAAAAAAAAAA1","name":"Acme","external_id":"acme","metadata":{"plan":"pro"},"domains":[{"domain":"acme.test","state":"verified","verification_strategy":"manual"}]}
{"type":"role","organization_id":"org_01JAAAAAAAAAAAAAAAAAAAAAA1","slug":"auditor","name":"Auditor","permissions":["reports:read"]}
{"type":"user","id":"user_01JAAAAAAAAAAAAAAAAAAAAAA1","email":"ada@acme.test","email_verified":true,"first_name":"Ada","external_id":"u-1","password_hash":"$2b$04$RbQqNcn3BwOlan3.1nUoOesiiuACtLpfXaCHskVqb4f/quHX6A23e","password_hash_type":"bcrypt"}
{"type":"user","id":"user_01JAAAAAAAAAAAAAAAAAAAAAA2","email":"bob@acme.test","password_hash":"{SSHA}oep4GJ7HxpIYd8AWLmA7hYwreC84Ynl0ZXNhbA==","password_hash_type":"ssha"}
{"type":"membership","id":"om_01JAAAAAAAAAAAAAAAAAAAAAA1","organization_id":"org_01JAAAAAAAAAAAAAAAAAAAAAA1","user_id":"user_01JAAAAAAAAAAAAAAAAAAAAAA1","status":"active","roles":["admin","auditor"]}
{"type":"membership","id":"om_01JAAAAAAAAAAAAAAAAAAAAAA2","organization_id":"org_01JAAAAAAAAAAAAAAAAAAAAAA1","user_id":"user_01JAAAAAAAAAAAAAAAAAAAAAA2","status":"active","roles":["member"]}
{"type":"invitation","id":"invitation_01JAAAAAAAAAAAAAAAAAAAAAA1","organization_id":"org_01JAAAAAAAAAAAAAAAAAAAAAA1","email":"cy@acme.test","role_slug":"member","token":"imported-invitation-token-0001","expires_at":"2099-01-01T00:00:00.000Z"}
JSONL

run_on() { # a database URL, and a second one for the round trip
  DB=$1
  roster import "$WORK/sample.jsonl" --dry-run >"$WORK/dry.txt" 2>"$WORK/dry.err"
  check "a dry run succeeds and names every type" grep -q "membership    created    2" "$WORK/dry.txt"
  check "a dry run says it wrote nothing" grep -q "dry run: nothing was written" "$WORK/dry.txt"
  check "a dry run wrote nothing" bash -c "! RUST_LOG=warn '$BIN' --database-url '$DB' export 2>/dev/null | grep -q ada@acme.test"
  check "the import succeeds" roster import "$WORK/sample.jsonl" --report "$WORK/report.txt"
  check "the report lists every line" test "$(wc -l <"$WORK/report.txt")" -eq 8
  check "the report names a row and its outcome" grep -q "^line 4	user ada@acme.test	created" "$WORK/report.txt"
  roster import "$WORK/sample.jsonl" >"$WORK/again.txt" 2>/dev/null
  check "a second import changes nothing" bash -c "! grep -Eq ' (created|updated) ' '$WORK/again.txt' && grep -q 'user          unchanged  2' '$WORK/again.txt'"
  roster export >"$WORK/first.jsonl" 2>/dev/null
  check "export writes to standard output" grep -q '"email":"ada@acme.test"' "$WORK/first.jsonl"
  check "export keeps the imported hash and its type" grep -q '"password_hash_type":"ssha"' "$WORK/first.jsonl"

  DB=$2
  check "the export imports into an empty store" roster import "$WORK/first.jsonl"
  check "export --output writes a file" roster export --output "$WORK/second.jsonl"
  # Built-in roles and permissions get each store's own IDs and times; the rest is the same.
  strip() { grep -v -e '"type":"role","id":"role_[^"]*","organization_id":null' -e '"type":"permission"' "$1" | sort; }
  check "the round trip gives the same file" diff <(strip "$WORK/first.jsonl") <(strip "$WORK/second.jsonl")

  printf '%s\n' '{"type":"user","id":"user_01JAAAAAAAAAAAAAAAAAAAAAA9","email":"new@acme.test"}' 'not json' \
    '{"type":"user","id":"user_01JAAAAAAAAAAAAAAAAAAAAAA8","email":"md5@acme.test","password_hash":"5f4dcc3b5aa765d61d8327deb882cf99","password_hash_type":"md5"}' \
    >"$WORK/bad.jsonl"
  roster import "$WORK/bad.jsonl" >"$WORK/bad.txt" 2>"$WORK/bad.err"
  check "bad lines fail the import" test $? -eq 1
  check "each bad line is named with its number" bash -c "grep -q '^line 2	line	error' '$WORK/bad.txt' && grep -q '^line 3	user md5@acme.test	error: password_hash_type' '$WORK/bad.txt'"
  check "the good lines are imported anyway" grep -q "user          created    1" "$WORK/bad.txt"
}

run_on "sqlite:$WORK/a.db" "sqlite:$WORK/b.db"
if [ -n "${ROSTER_TEST_POSTGRES:-}" ]; then
  run_on "$(bash .ci/postgres.sh createdb)" "$(bash .ci/postgres.sh createdb)"
fi
echo "transfer: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
