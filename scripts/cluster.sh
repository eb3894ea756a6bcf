#!/usr/bin/env bash
# A local Gatehouse cluster in the production shape: PostgreSQL, several gatehouse-server
# replicas, and nginx in front (the trusted proxy: replicas believe its X-Forwarded-For).
#
#   scripts/cluster.sh start            PostgreSQL + replicas + nginx, then returns
#   scripts/cluster.sh stop             stops everything it started (by PID) and deletes its state
#   scripts/cluster.sh status           what runs, with the addresses
#   scripts/cluster.sh kill-replica N   kill -9 replica N (1-based)
#   scripts/cluster.sh start-replica N  start replica N again
#   scripts/cluster.sh term-replica N   SIGTERM replica N and wait for it to exit
#   scripts/cluster.sh restart-postgres stop PostgreSQL (fast), wait GATEHOUSE_PG_DOWN_SECONDS, start it
#   scripts/cluster.sh freeze-postgres  SIGSTOP every PostgreSQL process for GATEHOUSE_PG_DOWN_SECONDS,
#                                       then SIGCONT: a black hole (connections stay open, nothing
#                                       answers), like a network partition or a hung host
#
# Environment: GATEHOUSE_CLUSTER_DIR (state, default /tmp/gatehouse-cluster),
# GATEHOUSE_REPLICAS (2), GATEHOUSE_CLUSTER_PORT (the proxy, 3300; replicas on the next ports,
# their metrics on 9500+N), GATEHOUSE_SERVER_BIN (default: the release build, else debug).
# The console is at http://127.0.0.1:$GATEHOUSE_CLUSTER_PORT/ with the development IdP (a local
# demo: in production the replicas get GATEHOUSE_IDP_METADATA and an https public URL).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${GATEHOUSE_CLUSTER_DIR:-/tmp/gatehouse-cluster}"
REPLICAS="${GATEHOUSE_REPLICAS:-2}"
PORT="${GATEHOUSE_CLUSTER_PORT:-3300}"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="${GATEHOUSE_SERVER_BIN:-}"
if [ -z "$BIN" ]; then
  if [ -x "$target_dir/release/gatehouse-server" ]; then BIN="$target_dir/release/gatehouse-server"
  else BIN="$target_dir/debug/gatehouse-server"; fi
fi
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
log() { printf '\033[1;34m[cluster]\033[0m %s\n' "$*" >&2; }

replica_port() { echo $((PORT + $1)); }
pg_port() { cat "$DIR/pg.port"; }

wait_for() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $1"; return 1; fi
    sleep 0.2
  done
}

start_postgres() {
  if [ -z "$pg_bin" ]; then log "PostgreSQL server binaries not found (scripts/install-deps.sh)"; exit 1; fi
  mkdir -p "$DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR/pg"
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$DIR/pg.port"
  "${as_pg[@]}" "$pg_bin/initdb" -D "$DIR/pg/data" -U postgres -A trust >"$DIR/pg/initdb.log" 2>&1
  pg_start
}

pg_start() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
    -o "-p $(pg_port) -k $DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
}

pg_stop() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true; }

start_replica() {
  local n=$1 port
  port=$(replica_port "$n")
  (
    export GATEHOUSE_LISTEN_ADDR="127.0.0.1:$port"
    export GATEHOUSE_METRICS_ADDR="127.0.0.1:$((9500 + n))"
    export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$PORT"
    export GATEHOUSE_DATABASE_URL="postgres://postgres@127.0.0.1:$(pg_port)/gatehouse"
    export GATEHOUSE_TRUSTED_PROXIES="127.0.0.1/32"
    export GATEHOUSE_DEV_IDP=true
    export GATEHOUSE_ORG_NAME="${GATEHOUSE_ORG_NAME:-Acme ML (cluster)}"
    export GATEHOUSE_LOG_FORMAT=json
    export GATEHOUSE_SIGNIN_RATE_PER_MINUTE="${GATEHOUSE_SIGNIN_RATE_PER_MINUTE:-100000}"
    export GATEHOUSE_AUTH_FAILURES_PER_MINUTE="${GATEHOUSE_AUTH_FAILURES_PER_MINUTE:-100000}"
    export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}"
    exec "$BIN" >>"$DIR/replica-$n.log" 2>&1
  ) &
  echo $! >"$DIR/replica-$n.pid"
}

write_nginx_conf() {
  mkdir -p "$DIR/nginx"
  {
    echo "worker_processes 1; pid $DIR/nginx/nginx.pid; error_log $DIR/nginx/error.log warn; daemon on;"
    echo "events { worker_connections 1024; }"
    echo "http {"
    echo "  access_log $DIR/nginx/access.log;"
    echo "  client_body_temp_path $DIR/nginx/body; proxy_temp_path $DIR/nginx/proxy;"
    echo "  fastcgi_temp_path $DIR/nginx/fastcgi; uwsgi_temp_path $DIR/nginx/uwsgi; scgi_temp_path $DIR/nginx/scgi;"
    echo "  client_max_body_size 1m;"
    echo "  upstream gatehouse {"
    for n in $(seq 1 "$REPLICAS"); do
      echo "    server 127.0.0.1:$(replica_port "$n") max_fails=1 fail_timeout=2s;"
    done
    echo "    keepalive 32;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$PORT;"
    echo "    location / {"
    echo "      proxy_pass http://gatehouse;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host \$http_host;"
    # The edge: the client's address replaces whatever X-Forwarded-For it sent.
    echo "      proxy_set_header X-Forwarded-For \$remote_addr;"
    echo "      proxy_set_header X-Forwarded-Proto \$scheme;"
    # A replica that refuses the connection or dies before answering: retried on another one
    # only for idempotent methods (nginx never re-sends a POST unless told to).
    echo "      proxy_next_upstream error timeout;"
    echo "      proxy_connect_timeout 2s;"
    echo "      proxy_read_timeout 60s;"
    echo "    }"
    echo "  }"
    echo "}"
  } >"$DIR/nginx/nginx.conf"
}

cmd_start() {
  if [ -e "$DIR/pg.port" ]; then log "a cluster is already set up in $DIR (scripts/cluster.sh stop)"; exit 1; fi
  [ -x "$BIN" ] || { log "no server binary at $BIN (build it, or set GATEHOUSE_SERVER_BIN)"; exit 1; }
  [ -x "$NGINX" ] || bash "$ROOT/scripts/install-deps.sh"
  mkdir -p "$DIR"
  start_postgres
  "${as_pg[@]}" psql -q -h 127.0.0.1 -p "$(pg_port)" -U postgres -c "CREATE DATABASE gatehouse" >/dev/null
  # All replicas at once on the empty database: migrations and set-up must serialise.
  for n in $(seq 1 "$REPLICAS"); do start_replica "$n"; done
  for n in $(seq 1 "$REPLICAS"); do wait_for "http://127.0.0.1:$(replica_port "$n")/readyz" 60; done
  write_nginx_conf
  "$NGINX" -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" 2>>"$DIR/nginx/error.log"
  wait_for "http://127.0.0.1:$PORT/readyz" 20
  cmd_status
}

cmd_status() {
  log "state in $DIR; proxy http://127.0.0.1:$PORT/ (nginx pid $(cat "$DIR/nginx/nginx.pid" 2>/dev/null || echo -))"
  log "PostgreSQL postgres://postgres@127.0.0.1:$(pg_port)/gatehouse"
  for n in $(seq 1 "$REPLICAS"); do
    local pid; pid=$(cat "$DIR/replica-$n.pid" 2>/dev/null || echo -)
    local state=stopped
    if [ "$pid" != - ] && kill -0 "$pid" 2>/dev/null; then state=running; fi
    log "replica $n: http://127.0.0.1:$(replica_port "$n")/ metrics http://127.0.0.1:$((9500 + n))/metrics pid $pid ($state)"
  done
}

cmd_stop() {
  if [ -f "$DIR/nginx/nginx.pid" ]; then kill "$(cat "$DIR/nginx/nginx.pid")" 2>/dev/null || true; fi
  for f in "$DIR"/replica-*.pid; do
    [ -f "$f" ] || continue
    kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.5
  for f in "$DIR"/replica-*.pid; do
    [ -f "$f" ] || continue
    kill -KILL "$(cat "$f")" 2>/dev/null || true
  done
  if [ -d "$DIR/pg/data" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill-replica) kill -KILL "$(cat "$DIR/replica-$2.pid")" ;;
  start-replica)
    start_replica "$2"
    wait_for "http://127.0.0.1:$(replica_port "$2")/readyz" 60 ;;
  term-replica)
    pid=$(cat "$DIR/replica-$2.pid")
    kill -TERM "$pid"
    # Until it has exited: an exited replica whose parent is gone stays a zombie until init
    # reaps it (over a second in some containers), which is not the replica's time.
    while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
      sleep 0.01
    done ;;
  restart-postgres)
    pg_stop
    sleep "${GATEHOUSE_PG_DOWN_SECONDS:-3}"
    pg_start ;;
  freeze-postgres)
    postmaster=$(head -n1 "$DIR/pg/data/postmaster.pid")
    frozen=("$postmaster" $(pgrep -P "$postmaster" || true))
    kill -STOP "${frozen[@]}"
    # Thawed whatever happens to this script: a frozen PostgreSQL would outlive it.
    trap 'kill -CONT "${frozen[@]}" 2>/dev/null || true' EXIT
    sleep "${GATEHOUSE_PG_DOWN_SECONDS:-3}" ;;
  *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac
