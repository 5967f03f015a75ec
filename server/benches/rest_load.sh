#!/usr/bin/env bash
# REST load benchmark: a route that reads nothing (the JWKS: the cost of the middleware
# stack), list users (page 1, page 1,000 through its cursor, one organization's), get one
# user, password sign-in and the refresh-token grant under load, against a bare axum
# hello-world measured in the same run, plus the raw Argon2id rate of this machine.
#
#   bash server/benches/rest_load.sh            (from anywhere in the repository)
#
# Needs wrk (Debian package `wrk`). Seeds 100,000 users first. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT=3901
HELLO_PORT=3900
KEY=sk_load_0123456789abcdef0123456789abcdef
LOGINS=1000
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -p server --bin roster --example hello
ARGON2_BENCH=$(cargo bench -q -p server --bench argon2_rate --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys; print(next(m["executable"] for m in map(json.loads, sys.stdin) if m.get("target", {}).get("name") == "argon2_rate" and m.get("executable")))')
mkdir -p target/site

DB="sqlite:$WORK/load.db"
"$TARGET/release/roster" --database-url "$DB" seed --users 100000 --orgs 10
ROSTER_DATABASE_URL="$DB" ROSTER_ADDR="127.0.0.1:$PORT" ROSTER_DEMO_DATA=false \
  ROSTER_BOOTSTRAP_PASSWORD=load-test-admin ROSTER_BOOTSTRAP_API_KEY="$KEY" ROSTER_BOOTSTRAP_CLIENT_ID=client_load \
  RUST_LOG=warn "$TARGET/release/roster" serve >"$WORK/roster.log" 2>&1 &
HELLO_ADDR="127.0.0.1:$HELLO_PORT" "$TARGET/release/examples/hello" &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/sso/jwks/client_load" >/dev/null && break; sleep 0.2; done

BASE="http://127.0.0.1:$PORT"
USER_ID=$(curl -sf -H "Authorization: Bearer $KEY" "$BASE/user_management/users?limit=1" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
ORG_ID=$(curl -sf -H "Authorization: Bearer $KEY" "$BASE/organizations?limit=1" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
# The cursor that opens page 1,000 of ten: the last of the first 9,990 users.
DEEP_CURSOR=$(python3 - "$BASE" "$KEY" <<'PY'
import json, sys, urllib.request
base, key = sys.argv[1:]
after, seen = "", 0
while seen < 9990:
    limit = min(100, 9990 - seen)
    url = f"{base}/user_management/users?limit={limit}" + (f"&after={after}" if after else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    page = json.load(urllib.request.urlopen(request))
    seen += len(page["data"])
    after = page["list_metadata"]["after"]
print(after)
PY
)

# Users who can sign in: enough distinct emails to stay under each one's limit of ten
# attempts a minute.
echo "creating $LOGINS users with passwords…"
seq 0 $((LOGINS - 1)) | xargs -P 4 -I{} curl -sf -o /dev/null -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d '{"email":"login{}@load.test","password":"load-test-password"}' \
  "$BASE/user_management/users"

cat >"$WORK/login.lua" <<LUA
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"grant_type":"password","client_id":"client_load","client_secret":"$KEY","email":"login%d@load.test","password":"load-test-password"}', counter % $LOGINS)
  return wrk.format("POST", "/user_management/authenticate", { ["Content-Type"] = "application/json" }, body)
end
LUA

# Refresh tokens to start from, two per connection: each is spent once, and the script
# spends the one each answer brings next.
mkdir "$WORK/signed_in"
seq 0 $((2 * CONNECTIONS - 1)) | xargs -P 4 -I{} curl -sf -o "$WORK/signed_in/{}.json" -H 'Content-Type: application/json' \
  -d '{"grant_type":"password","client_id":"client_load","client_secret":"'"$KEY"'","email":"login{}@load.test","password":"load-test-password"}' \
  "$BASE/user_management/authenticate"
python3 -c 'import json,sys; [print(json.load(open(f))["refresh_token"]) for f in sys.argv[1:]]' "$WORK"/signed_in/*.json \
  >"$WORK/refresh_tokens.txt"

cat >"$WORK/refresh.lua" <<LUA
-- Each wrk thread takes every other starting token, and queues the token each answer brings.
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  tokens = {}
  local index = 0
  for line in io.lines("$WORK/refresh_tokens.txt") do
    if index % 2 == id then tokens[#tokens + 1] = line end
    index = index + 1
  end
end
request = function()
  local token = table.remove(tokens, 1) or "none-left"
  local body = string.format('{"grant_type":"refresh_token","client_id":"client_load","client_secret":"$KEY","refresh_token":"%s"}', token)
  return wrk.format("POST", "/user_management/authenticate", { ["Content-Type"] = "application/json" }, body)
end
response = function(status, headers, body)
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then tokens[#tokens + 1] = token end
end
LUA

# Runs wrk and prints "requests/s p50(ms) p99(ms) non-2xx".
measure() {
  local out
  out=$(wrk --latency -t2 -c"$1" -d"$DURATION" "${@:2}")
  python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{rps:.0f} {ms('50%'):.2f} {ms('99%'):.2f} {bad.group(1) if bad else 0}")
PY
}

AUTH=(-H "Authorization: Bearer $KEY")
read -r hello_rps hello_p50 hello_p99 _ < <(measure "$CONNECTIONS" "http://127.0.0.1:$HELLO_PORT/")
read -r jwks_rps jwks_p50 jwks_p99 jwks_bad < <(measure "$CONNECTIONS" "$BASE/sso/jwks/client_load")
read -r list_rps list_p50 list_p99 list_bad < <(measure "$CONNECTIONS" "${AUTH[@]}" "$BASE/user_management/users?limit=10")
read -r deep_rps deep_p50 deep_p99 deep_bad < <(measure "$CONNECTIONS" "${AUTH[@]}" "$BASE/user_management/users?limit=10&after=$DEEP_CURSOR")
read -r org_rps org_p50 org_p99 org_bad < <(measure "$CONNECTIONS" "${AUTH[@]}" "$BASE/user_management/users?limit=10&organization_id=$ORG_ID")
read -r get_rps get_p50 get_p99 get_bad < <(measure "$CONNECTIONS" "${AUTH[@]}" "$BASE/user_management/users/$USER_ID")
# The raw rate is measured just before and just after the sign-ins, and averaged: this
# machine's speed drifts by a fifth within minutes.
argon2_rate() { ARGON2_SECONDS=6 "$ARGON2_BENCH" | awk -F': ' '/verifications/ { print $2 }'; }
argon2_before=$(argon2_rate)
read -r login_rps login_p50 login_p99 login_bad < <(measure 8 -s "$WORK/login.lua" "$BASE")
argon2_after=$(argon2_rate)
argon2_rate=$(python3 -c "print(f'{($argon2_before + $argon2_after) / 2:.1f}')")
read -r refresh_rps refresh_p50 refresh_p99 refresh_bad < <(measure "$CONNECTIONS" -s "$WORK/refresh.lua" "$BASE")

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo
echo "| endpoint | requests/s | p50 | p99 | ratio to baseline | errors |"
echo "|---|---|---|---|---|---|"
echo "| baseline: bare axum hello-world | $hello_rps | ${hello_p50} ms | ${hello_p99} ms | 1.00 | 0 |"
echo "| GET /sso/jwks/{client} (reads nothing: the middleware stack) | $jwks_rps | ${jwks_p50} ms | ${jwks_p99} ms | $(ratio "$jwks_rps" "$hello_rps") | $jwks_bad |"
echo "| GET /user_management/users?limit=10 | $list_rps | ${list_p50} ms | ${list_p99} ms | $(ratio "$list_rps" "$hello_rps") | $list_bad |"
echo "| … page 1,000 (\`after\` cursor) | $deep_rps | ${deep_p50} ms | ${deep_p99} ms | $(ratio "$deep_rps" "$hello_rps") ($(ratio "$deep_rps" "$list_rps") of page 1) | $deep_bad |"
echo "| … one organization's (\`organization_id\`) | $org_rps | ${org_p50} ms | ${org_p99} ms | $(ratio "$org_rps" "$hello_rps") | $org_bad |"
echo "| GET /user_management/users/{id} | $get_rps | ${get_p50} ms | ${get_p99} ms | $(ratio "$get_rps" "$hello_rps") | $get_bad |"
echo "| POST /user_management/authenticate (refresh token: writes a session's new token) | $refresh_rps | ${refresh_p50} ms | ${refresh_p99} ms | $(ratio "$refresh_rps" "$hello_rps") | $refresh_bad |"
echo "| POST /user_management/authenticate (password, 8 connections) | $login_rps | ${login_p50} ms | ${login_p99} ms | $(ratio "$login_rps" "$argon2_rate") of raw argon2id ($argon2_rate/s: $argon2_before before, $argon2_after after) | $login_bad |"
