#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL cluster on 127.0.0.1, as root, without systemd.
#   source .ci/postgres.sh start   -> exports PG_URL_BASE (postgresql+psycopg://postgres@127.0.0.1:PORT)
#   .ci/postgres.sh stop DIR
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
case "${1:-}" in
  start)
    PGPORT=${PGPORT:-5433}
    PGD=$(mktemp -d /tmp/willing-pg.XXXXXX)
    chown postgres:postgres "$PGD"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGD -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    export WILLING_PG_DIR=$PGD WILLING_PG_PORT=$PGPORT
    ;;
  stop)
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null || true
    rm -rf "$2"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
