#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests, then the browser suite against a fresh
# build. Prints one closing line with the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

rust_log=$(mktemp)
trap 'rm -f "$rust_log"' EXIT

echo "== build (server and WASM) =="
cargo leptos build

echo "== Rust tests =="
# app with ssr and server in one invocation, so dependencies build once.
set +e
cargo test -p app -p server --features app/ssr 2>&1 | tee "$rust_log"
rust_status=${PIPESTATUS[0]}
set -e
rust_passed=$(awk '/^test result:/ { sum += $4 } END { print sum + 0 }' "$rust_log")
rust_failed=$(awk '/^test result:/ { sum += $6 } END { print sum + 0 }' "$rust_log")

echo "== Browser tests (Playwright, Chromium) =="
set +e
(cd end2end && npx playwright test)
e2e_status=$?
set -e
read -r e2e_passed e2e_failed < <(node -e '
  const fs = require("fs");
  try {
    const r = JSON.parse(fs.readFileSync("end2end/test-results/results.json", "utf8"));
    console.log((r.stats.expected || 0) + " " + ((r.stats.unexpected || 0) + (r.stats.flaky || 0)));
  } catch { console.log("0 1"); }
')

echo "== Official WorkOS SDKs against the REST API =="
sdk_log=$(mktemp)
set +e
bash .ci/sdk-tests.sh 2>&1 | tee "$sdk_log"
sdk_status=${PIPESTATUS[0]}
set -e
sdk_passed=$(awk '/^sdk-(node|python):/ { sum += $2 } END { print sum + 0 }' "$sdk_log")
sdk_failed=$(awk '/^sdk-(node|python):/ { sum += $4 } END { print sum + 0 }' "$sdk_log")
rm -f "$sdk_log"

echo "rust: ${rust_passed} passed, ${rust_failed} failed"
echo "e2e: ${e2e_passed} passed, ${e2e_failed} failed"
echo "sdk: ${sdk_passed} passed, ${sdk_failed} failed"
echo "$((rust_passed + e2e_passed + sdk_passed)) passed, $((rust_failed + e2e_failed + sdk_failed)) failed"
if [ "$rust_status" -ne 0 ] || [ "$e2e_status" -ne 0 ] || [ "$sdk_status" -ne 0 ] \
  || [ "$rust_passed" -eq 0 ] || [ "$e2e_passed" -eq 0 ] || [ "$sdk_passed" -eq 0 ]; then
  exit 1
fi
