#!/usr/bin/env bash
# Runs every test on both backends: Rust unit and integration tests, the browser suite and
# the official SDK suites, first on SQLite, then on a throwaway PostgreSQL cluster, where
# two replicas behind nginx are tested too.
# Prints a line per suite and backend, then one closing line with the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

LOG=$(mktemp -d)
PGDIR=""
cleanup() { [ -n "$PGDIR" ] && bash .ci/postgres.sh stop "$PGDIR"; rm -rf "$LOG"; }
trap cleanup EXIT

echo "== build (server and WASM) =="
cargo leptos build
# Lints, with warnings as errors; clippy.toml also confines `Caller::system()`.
cargo clippy -p app -p server --features app/ssr -- -D warnings
# Build the test binaries once, before any of them run.
cargo test -p app -p server --features app/ssr --no-run

passed=0
failed=0
status=0
summary=()

# Records a suite's counts: name, passed, failed, exit status.
tally() {
  local suite=$1 ok=${2:-0} bad=${3:-0}
  [ -n "$ok" ] || ok=0
  [ -n "$bad" ] || bad=0
  summary+=("$suite: $ok passed, $bad failed")
  passed=$((passed + ok))
  failed=$((failed + bad))
  if [ "$4" -ne 0 ] || [ "$ok" -eq 0 ]; then status=1; fi
}

# Runs a script suite whose last line reads `<name>: N passed, M failed`.
run_script() {
  local suite=$1
  shift
  echo "== $suite =="
  set +e
  bash "$@" 2>&1 | tee "$LOG/script.log"
  local script_status=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E '^[a-z -]+(\([a-z]+\))?: [0-9]+ passed, [0-9]+ failed$' "$LOG/script.log" | tail -n 1)
  tally "$suite" "$(awk '{ print $(NF-3) }' <<<"$line")" "$(awk '{ print $(NF-1) }' <<<"$line")" "$script_status"
}

run_suites() {
  local backend=$1
  echo "== Rust tests ($backend) =="
  set +e
  cargo test -p app -p server --features app/ssr 2>&1 | tee "$LOG/rust.log"
  local rust_status=${PIPESTATUS[0]}
  set -e
  tally "rust ($backend)" \
    "$(awk '/^test result:/ { sum += $4 } END { print sum + 0 }' "$LOG/rust.log")" \
    "$(awk '/^test result:/ { sum += $6 } END { print sum + 0 }' "$LOG/rust.log")" "$rust_status"

  echo "== Browser tests ($backend) =="
  set +e
  (cd end2end && rm -f test-results/results.json && npx playwright test)
  local e2e_status=$?
  set -e
  local counts
  counts=$(node -e '
    try {
      const r = JSON.parse(require("fs").readFileSync("end2end/test-results/results.json", "utf8"));
      console.log((r.stats.expected || 0) + " " + ((r.stats.unexpected || 0) + (r.stats.flaky || 0)));
    } catch { console.log("0 1"); }')
  tally "e2e ($backend)" ${counts% *} ${counts#* } "$e2e_status"

  echo "== Official WorkOS SDKs ($backend) =="
  set +e
  bash .ci/sdk-tests.sh 2>&1 | tee "$LOG/sdk.log"
  local sdk_status=${PIPESTATUS[0]}
  set -e
  tally "sdk ($backend)" \
    "$(awk '/^sdk-(node|python):/ { sum += $2 } END { print sum + 0 }' "$LOG/sdk.log")" \
    "$(awk '/^sdk-(node|python):/ { sum += $4 } END { print sum + 0 }' "$LOG/sdk.log")" "$sdk_status"
}

run_suites sqlite
# Operations on SQLite: the API fuzzed against its OpenAPI description, draining under
# SIGTERM, secrets kept out of the logs, online backups under load, and acknowledged writes
# surviving kill -9.
run_script "openapi fuzz (sqlite)" .ci/openapi-test.sh
run_script "shutdown (sqlite)" .ci/shutdown-test.sh
run_script "log secrets (sqlite)" .ci/log-secrets-test.sh
run_script "backup (sqlite)" .ci/backup-test.sh
run_script "crash (sqlite)" .ci/crash-test.sh sqlite

echo "== PostgreSQL: starting a throwaway cluster =="
eval "$(bash .ci/postgres.sh start)"
PGDIR=$ROSTER_TEST_PGDATA
E2E_DATABASE_URL=$(bash .ci/postgres.sh createdb)
export ROSTER_TEST_POSTGRES E2E_DATABASE_URL
run_suites postgres
run_script "crash (postgres)" .ci/crash-test.sh postgres
# Export and import as an operator runs them, on SQLite and on this cluster.
run_script "transfer (sqlite, postgres)" .ci/transfer-test.sh

echo "== Two replicas behind nginx (PostgreSQL) =="
set +e
bash .ci/replicas-test.sh 2>&1 | tee "$LOG/replicas.log"
replicas_status=${PIPESTATUS[0]}
set -e
tally "replicas (postgres)" \
  "$(awk '/^replicas:/ { print $2 }' "$LOG/replicas.log" | tail -n 1)" \
  "$(awk '/^replicas:/ { print $4 }' "$LOG/replicas.log" | tail -n 1)" "$replicas_status"

printf '%s\n' "${summary[@]}"
echo "${passed} passed, ${failed} failed"
exit "$status"
