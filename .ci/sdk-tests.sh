#!/usr/bin/env bash
# Drives the REST API with the official WorkOS SDKs (Node and Python), each against its own
# freshly started `roster` on a free port with a fresh SQLite database.
# Prints `sdk-node: N passed, M failed` and `sdk-python: N passed, M failed`.
# With ROSTER_TEST_POSTGRES set, the servers run on PostgreSQL databases of that cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/roster"
KEY=sk_test_sdk_0123456789abcdef0123456789abcdef
CLIENT=client_sdk_tests
WORK=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p target/site

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a fresh server on a fresh database (PostgreSQL when ROSTER_TEST_POSTGRES is set);
# sets PORT and DB_URL.
start_server() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  PORT=$(free_port)
  if [ -n "${ROSTER_TEST_POSTGRES:-}" ]; then DB_URL=$(bash .ci/postgres.sh createdb); else DB_URL="sqlite:$WORK/$1.db"; fi
  ROSTER_DATABASE_URL="$DB_URL" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_DEMO_DATA=false \
    ROSTER_BOOTSTRAP_PASSWORD=sdk-admin-password ROSTER_BOOTSTRAP_API_KEY=$KEY ROSTER_BOOTSTRAP_CLIENT_ID=$CLIENT \
    RUST_LOG=warn "$BIN" serve >"$WORK/$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$PORT/sso/jwks/$CLIENT" >/dev/null && return 0
    sleep 0.2
  done
  cat "$WORK/$1.log" >&2
  return 1
}

export ROSTER_API_KEY=$KEY ROSTER_CLIENT_ID=$CLIENT

# Node
if [ ! -d end2end/sdk/node/node_modules ] || [ end2end/sdk/node/package-lock.json -nt end2end/sdk/node/node_modules/.package-lock.json ]; then
  (cd end2end/sdk/node && npm ci --no-audit --no-fund)
fi
start_server node
set +e
(cd end2end/sdk/node && ROSTER_PORT=$PORT node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/node.tap" test/)
node_status=$?
set -e
node_passed=$(grep -cE '^ok ' "$WORK/node.tap" || true)
node_failed=$(grep -cE '^not ok ' "$WORK/node.tap" || true)
echo "sdk-node: ${node_passed} passed, ${node_failed} failed"

# Python
VENV=end2end/sdk/python/.venv
if [ ! -x "$VENV/bin/pytest" ] || [ end2end/sdk/python/requirements.txt -nt "$VENV/bin/pytest" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r end2end/sdk/python/requirements.txt
  touch "$VENV/bin/pytest"
fi
start_server python
set +e
ROSTER_PORT=$PORT ROSTER_DB_URL="$DB_URL" "$VENV/bin/pytest" -q -p no:cacheprovider --junitxml="$WORK/python.xml" end2end/sdk/python
python_status=$?
set -e
read -r python_passed python_failed < <(python3 - "$WORK/python.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    suite = ET.parse(sys.argv[1]).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failed = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
    print(total - failed - int(suite.get("skipped", 0)), failed)
except Exception:
    print(0, 1)
PY
)
echo "sdk-python: ${python_passed} passed, ${python_failed} failed"

if [ "$node_status" -ne 0 ] || [ "$python_status" -ne 0 ] || [ "$node_passed" -eq 0 ] || [ "$python_passed" -eq 0 ]; then
  exit 1
fi
