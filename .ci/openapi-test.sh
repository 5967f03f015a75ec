#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document: starts the debug `roster` binary on a
# fresh SQLite file (with the demo data) and a known environment API key, and runs schemathesis
# (pinned in .ci/schemathesis/requirements.txt) over every operation of GET /openapi.json, in
# the examples, coverage, fuzzing and stateful phases, with every check but
# positive_data_acceptance (which expects any schema-valid input to succeed, while much of the
# validation, e.g. a free slug or an existing organization, is no JSON schema). Any 5xx, any
# answer the document does not describe (status, content type, headers, body schema), invalid
# input accepted, or an answer without the key fails. Assumes the debug build exists
# ($CARGO_TARGET_DIR/debug/roster). Prints `openapi: N passed, M failed` (operations).
# OPENAPI_MAX_EXAMPLES bounds the cases per operation and phase (default 15); OPENAPI_SEED
# replays a run (its seed is printed); OPENAPI_PHASES, OPENAPI_CHECKS, OPENAPI_EXCLUDE_CHECKS
# narrow it; OPENAPI_KEEP=1 keeps the server log and the JUnit report.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
SCHEMATHESIS=$(bash .ci/schemathesis/venv.sh)
WORK=$(mktemp -d)
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  if [ -n "${OPENAPI_KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
mkdir -p target/site

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
API_KEY=sk_test_openapi_0123456789abcdef0123456789abcd
ROSTER_DATABASE_URL="sqlite:$WORK/roster.db" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_PUBLIC_URL="http://127.0.0.1:$PORT" \
  ROSTER_DEMO_DATA=true ROSTER_DEMO_PASSWORD=openapi-demo-password \
  ROSTER_BOOTSTRAP_EMAIL=admin@openapi.test ROSTER_BOOTSTRAP_PASSWORD=openapi-admin-password \
  ROSTER_BOOTSTRAP_API_KEY=$API_KEY ROSTER_BOOTSTRAP_CLIENT_ID=client_openapi \
  RUST_LOG=warn "$BIN" serve >"$WORK/roster.log" 2>&1 &
PID=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/openapi.json" >/dev/null && break; sleep 0.2; done
if ! curl -sf "http://127.0.0.1:$PORT/openapi.json" >/dev/null; then
  cat "$WORK/roster.log" >&2
  echo "openapi: 0 passed, 1 failed"
  exit 1
fi

set +e
# One worker: with several, hypothesis describes its filters from several threads at once, and
# Python's parser fails under that ("AST constructor recursion depth mismatch").
# Run in the scratch directory: schemathesis keeps a cache in its working directory.
(cd "$WORK" && "$SCHEMATHESIS" run "http://127.0.0.1:$PORT/openapi.json" \
  --header "Authorization: Bearer $API_KEY" \
  --checks "${OPENAPI_CHECKS:-all}" --exclude-checks "${OPENAPI_EXCLUDE_CHECKS:-positive_data_acceptance}" \
  --phases "${OPENAPI_PHASES:-examples,coverage,fuzzing,stateful}" \
  --max-examples "${OPENAPI_MAX_EXAMPLES:-15}" \
  ${OPENAPI_SEED:+--seed "$OPENAPI_SEED"} \
  --workers 1 \
  --max-redirects 0 \
  --request-timeout 30 \
  --suppress-health-check all \
  --no-color \
  --generation-database none \
  --report junit --report-junit-path "$WORK/junit.xml")
result=$?
set -e
if grep -qE '^\s*(thread .* panicked|ERROR)' "$WORK/roster.log"; then
  echo "the server logged errors:" >&2
  grep -E 'panicked|ERROR' "$WORK/roster.log" | head -50 >&2
  result=1
fi
if [ ! -s "$WORK/junit.xml" ]; then
  echo "openapi: 0 passed, 1 failed"
  exit 1
fi
# One <testcase> per operation (plus one for the stateful phase, whose failure counts too).
read -r passed failed < <(python3 - "$WORK/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
passed = failed = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    is_operation = case.get("name", "").split(" ")[0] in ("GET", "POST", "PUT", "PATCH", "DELETE")
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    elif is_operation and case.find("skipped") is None:
        passed += 1
print(passed, failed)
PY
)
echo "openapi: $passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then result=1; fi
exit $result
