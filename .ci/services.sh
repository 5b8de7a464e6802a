# Throwaway PostgreSQL cluster and Redis on loopback, for CI and for local runs as root
# (the cluster runs as the postgres user).
# Source it, call `services_start DIR`, and `services_stop` when done (a trap does it).
# Exports DATABASE_URL, TEST_REPLICA_DATABASE_URL and REDIS_URL for what runs next.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

services_start() {
  SERVICES_DIR=$1
  mkdir -p "$SERVICES_DIR"
  chmod 755 "$SERVICES_DIR"
  local pgbin
  pgbin=$(pg_bindir) || { echo "PostgreSQL server binaries not found" >&2; return 1; }

  PG_PORT=$(free_port)
  mkdir -p "$SERVICES_DIR/pg"
  chown postgres "$SERVICES_DIR/pg"
  runuser -u postgres -- "$pgbin/initdb" -D "$SERVICES_DIR/pg/data" -U postgres -A trust \
    --no-sync --encoding=UTF8 --locale=C.UTF-8 >"$SERVICES_DIR/pg/initdb.log"
  # fsync off: a throwaway cluster that must be fast, never durable.
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/server.log" -w \
    -o "-p $PG_PORT -k $SERVICES_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres institute
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/institute"
  # A second database standing in for a read replica, for the replica's own tests only
  # (tests/reporting/test_replica_postgres.py migrates, fills and erases it). The suite
  # itself runs without DATABASE_REPLICA_URL.
  runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres institute_replica
  export TEST_REPLICA_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/institute_replica"
  PG_BIN=$pgbin

  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --dir "$SERVICES_DIR" --pidfile "$SERVICES_DIR/redis.pid" \
    --logfile "$SERVICES_DIR/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  echo "services: PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  if [ -n "${REDIS_PORT:-}" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -n "${PG_BIN:-}" ] && [ -d "$SERVICES_DIR/pg/data" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$SERVICES_DIR"
  SERVICES_DIR=
}
