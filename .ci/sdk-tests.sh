#!/usr/bin/env bash
# Drives the REST API with the official WorkOS SDKs, unmodified: Node (@workos-inc/node
# 8.13.0, node:test) and Python (workos from PyPI, pytest). Each suite gets its own freshly
# started `roster` on a free port with a fresh database, so their data never meets.
# Prints `sdk-node: N passed, M failed` and `sdk-python: N passed, M failed`; exits non-zero
# on any failure. With ROSTER_TEST_POSTGRES set, the servers run on PostgreSQL databases of
# that cluster (see postgres.sh) instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/roster"
KEY=sk_test_sdk_0123456789abcdef0123456789abcdef
CLIENT=client_sdk_tests
NODE_DIR=end2end/sdk/node
PY_DIR=end2end/sdk/python
VENV=$PY_DIR/.venv
WORK=$(mktemp -d)
SERVER=""

stop_server() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
  fi
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$BIN" ] || { echo "No server binary at $BIN; run: cargo build -p server" >&2; exit 1; }
# The server serves the dashboard from target/site; the API needs only the folder to exist.
mkdir -p target/site

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a fresh server on a fresh database; sets PORT and DB_URL. $1 names its log.
start_server() {
  stop_server
  PORT=$(free_port)
  if [ -n "${ROSTER_TEST_POSTGRES:-}" ]; then DB_URL=$(bash .ci/postgres.sh createdb); else DB_URL="sqlite:$WORK/$1.db"; fi
  ROSTER_DATABASE_URL="$DB_URL" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_DEMO_DATA=false \
    ROSTER_BOOTSTRAP_PASSWORD=sdk-admin-password ROSTER_BOOTSTRAP_API_KEY=$KEY ROSTER_BOOTSTRAP_CLIENT_ID=$CLIENT \
    RUST_LOG=warn "$BIN" serve >"$WORK/$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 150); do
    if curl -sf -o /dev/null "http://127.0.0.1:$PORT/sso/jwks/$CLIENT"; then return 0; fi
    if ! kill -0 "$SERVER" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "The $1 server did not come up:" >&2
  cat "$WORK/$1.log" >&2
  return 1
}

# What every suite needs to reach its server.
export ROSTER_API_KEY=$KEY ROSTER_CLIENT_ID=$CLIENT ROSTER_BIN=$BIN

# ---- Node ---------------------------------------------------------------------------
if [ ! -f "$NODE_DIR/node_modules/.package-lock.json" ] \
  || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund)
fi
start_server node
set +e
(cd "$NODE_DIR" && ROSTER_PORT=$PORT ROSTER_DB_URL=$DB_URL node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/node.tap" test/*.test.mjs)
node_status=$?
set -e
node_passed=$(awk '/^# pass / { print $3 }' "$WORK/node.tap" | tail -n 1)
node_failed=$(awk '/^# fail / { print $3 }' "$WORK/node.tap" | tail -n 1)
# Without the closing summary (the runner died), count the top-level results instead.
[ -n "$node_passed" ] || node_passed=$(grep -cE '^ok ' "$WORK/node.tap" || true)
[ -n "$node_failed" ] || node_failed=$(grep -cE '^not ok ' "$WORK/node.tap" || true)
if [ "$node_status" -ne 0 ] && [ "$node_failed" -eq 0 ]; then node_failed=1; fi
stop_server
echo "sdk-node: ${node_passed} passed, ${node_failed} failed"

# ---- Python -------------------------------------------------------------------------
if [ ! -x "$VENV/bin/pytest" ] || [ "$PY_DIR/requirements.txt" -nt "$VENV/.installed" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$PY_DIR/requirements.txt"
  touch "$VENV/.installed"
fi
start_server python
set +e
ROSTER_PORT=$PORT ROSTER_DB_URL=$DB_URL "$VENV/bin/pytest" -q -p no:cacheprovider \
  --rootdir "$PY_DIR" --junitxml="$WORK/python.xml" "$PY_DIR"
python_status=$?
set -e
read -r python_passed python_failed < <(python3 - "$WORK/python.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    print(total - failed - skipped, failed)
except Exception:
    print(0, 1)
PY
)
if [ "$python_status" -ne 0 ] && [ "$python_failed" -eq 0 ]; then python_failed=1; fi
stop_server
echo "sdk-python: ${python_passed} passed, ${python_failed} failed"

if [ "$node_status" -ne 0 ] || [ "$python_status" -ne 0 ] || [ "$node_passed" -eq 0 ] || [ "$python_passed" -eq 0 ]; then
  exit 1
fi
