#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL server on loopback for tests.
#   eval "$(bash scripts/pg_server.sh start)"   -> exports DOBO_TEST_PG_URL, DOBO_TEST_PG_DIR
#   bash scripts/pg_server.sh stop <dir>
# The server binaries refuse to run as root, so as root it runs as `postgres`
# (or `nobody` when that user does not exist).
set -euo pipefail

bindir() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")";
  else dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)"; fi
}

as_owner() {
  if [ "$(id -u)" = "0" ]; then
    local user=postgres; id "$user" >/dev/null 2>&1 || user=nobody
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
  start)
    BIN=$(bindir)
    DIR=$(mktemp -d /tmp/dobo-pg.XXXXXX)
    chmod 777 "$DIR"
    PORT=$(free_port)
    as_owner "$BIN/initdb" -D "$DIR/data" -U dobo -A trust --no-sync >/dev/null
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c max_connections=200" start >/dev/null
    as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U dobo dobo_test
    echo "export DOBO_TEST_PG_URL=postgresql+psycopg2://dobo@127.0.0.1:$PORT/dobo_test"
    echo "export DOBO_TEST_PG_DIR=$DIR"
    ;;
  stop)
    DIR="${2:?directory}"
    BIN=$(bindir)
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
