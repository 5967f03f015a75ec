#!/usr/bin/env bash
# Two `roster serve` replicas on one PostgreSQL database, behind nginx on loopback, driven by
# end2end/sdk/node/replicas. Needs ROSTER_TEST_POSTGRES (a running cluster; see postgres.sh).
# Prints `replicas: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/roster"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
: "${ROSTER_TEST_POSTGRES:?start a cluster first: eval \"\$(bash .ci/postgres.sh start)\"}"
mkdir -p target/site

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BALANCER=$(free_port); A=$(free_port); B=$(free_port)
DB_URL=$(bash .ci/postgres.sh createdb)
export ROSTER_API_KEY=sk_test_replicas_0123456789abcdef0123456789ab ROSTER_CLIENT_ID=client_replicas
export ADMIN_EMAIL=admin@replicas.test ADMIN_PASSWORD=replicas-admin-password

serve() {
  ROSTER_DATABASE_URL="$DB_URL" ROSTER_ADDR="127.0.0.1:$1" ROSTER_PUBLIC_URL="http://127.0.0.1:$BALANCER" \
    ROSTER_TRUST_PROXY=true ROSTER_DEMO_DATA=false ROSTER_BOOTSTRAP_EMAIL=$ADMIN_EMAIL \
    ROSTER_BOOTSTRAP_PASSWORD=$ADMIN_PASSWORD ROSTER_BOOTSTRAP_API_KEY=$ROSTER_API_KEY \
    ROSTER_BOOTSTRAP_CLIENT_ID=$ROSTER_CLIENT_ID RUST_LOG=warn "$BIN" serve >"$WORK/replica-$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$1/sso/jwks/x" >/dev/null && return 0; sleep 0.2; done
  cat "$WORK/replica-$1.log" >&2
  return 1
}
# A bootstraps the database; B starts on the same data.
serve "$A"
serve "$B"

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream roster { server 127.0.0.1:$A; server 127.0.0.1:$B; }
  server {
    listen 127.0.0.1:$BALANCER;
    location / {
      proxy_pass http://roster;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
NGINX
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX_BIN" -c "$WORK/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/error.log"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$BALANCER/sso/jwks/x" >/dev/null && break; sleep 0.1; done

if [ ! -d end2end/sdk/node/node_modules ]; then (cd end2end/sdk/node && npm ci --no-audit --no-fund); fi
set +e
(cd end2end/sdk/node && BALANCER_PORT=$BALANCER REPLICA_A_PORT=$A REPLICA_B_PORT=$B node --test \
  --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$WORK/replicas.tap" replicas/)
result=$?
set -e
echo "replicas: $(grep -cE '^ok ' "$WORK/replicas.tap" || true) passed, $(grep -cE '^not ok ' "$WORK/replicas.tap" || true) failed"
exit $result
