#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, in a temporary folder on a free loopback
# port, run as a non-root user.
#   eval "$(bash .ci/postgres.sh start)"   # exports ROSTER_TEST_POSTGRES and ROSTER_TEST_PGDATA
#   bash .ci/postgres.sh stop "$ROSTER_TEST_PGDATA"
set -euo pipefail

pgbin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$dir/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
  echo "$dir"
}

# Runs a command as the cluster's owner: root may not run PostgreSQL.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-}" in
  start)
    BIN=$(pgbin)
    DIR=$(mktemp -d /tmp/roster-pg.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "$BIN/initdb -D $DIR/data -A trust -U roster --no-sync >$DIR/initdb.log 2>&1"
    as_owner "$BIN/pg_ctl -D $DIR/data -l $DIR/server.log -w -o \"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300\" start >/dev/null"
    echo "export ROSTER_TEST_POSTGRES=postgres://roster@127.0.0.1:$PORT ROSTER_TEST_PGDATA=$DIR"
    ;;
  stop)
    DIR="${2:?the cluster folder}"
    BIN=$(pgbin)
    as_owner "$BIN/pg_ctl -D $DIR/data -m immediate stop >/dev/null" || true
    rm -rf "$DIR"
    ;;
  createdb)
    # Prints the URL of a new, empty database on the running cluster.
    NAME="roster_$(date +%s%N)"
    psql "${ROSTER_TEST_POSTGRES:?}/postgres" -qc "CREATE DATABASE $NAME" >/dev/null
    echo "$ROSTER_TEST_POSTGRES/$NAME"
    ;;
  *)
    echo "usage: postgres.sh start | stop DIR | createdb" >&2
    exit 2
    ;;
esac
