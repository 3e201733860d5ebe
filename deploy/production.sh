#!/usr/bin/env bash
# rightswatch on Prefect's distributed setup, step by step (README "Production").
#
#   deploy/production.sh up        every step below, in order
#   deploy/production.sh STEP...   some of them: install postgres server pool secrets alerts
#                                  deploy workers
#   deploy/production.sh down      stop the workers and the server, stop PostgreSQL
#                                  (DROP_DATABASE=1 also deletes the cluster and its data)
#
# Settings come from the environment (defaults in brackets):
#   PG_PASSWORD        password of the `prefect` database role              (required)
#   PG_CLUSTER [rightswatch]  PG_PORT [5433]     a Debian PostgreSQL cluster of its own
#   PREFECT_HOST [127.0.0.1]  PREFECT_PORT [4200]
#   WORKERS [2]        process workers, one flow run each at a time
#   STATE_DIR [/var/lib/rightswatch]   logs and pid files of the server and workers
#   SECRETS            BLOCK=ENV_VAR pairs saved as Prefect Secret blocks, e.g.
#                      "slack-webhook=SLACK_WEBHOOK_URL smtp-password=SMTP_PASSWORD"
#   ALERT_SLACK_WEBHOOK_URL or ALERT_WEBHOOK_URL   where failed-run alerts go
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL (S3-compatible storage): the
#                      workers pass them to every flow run, for `snapshots: s3://...`
# Run it from the checkout, as root (it installs Debian packages and runs PostgreSQL as the
# postgres user). Each step is safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT=$PWD

PG_CLUSTER=${PG_CLUSTER:-rightswatch}
PG_PORT=${PG_PORT:-5433}
PREFECT_HOST=${PREFECT_HOST:-127.0.0.1}
PREFECT_PORT=${PREFECT_PORT:-4200}
WORKERS=${WORKERS:-2}
STATE_DIR=${STATE_DIR:-/var/lib/rightswatch}
BIN=$CHECKOUT/.venv/bin
export PREFECT_API_URL=${PREFECT_API_URL:-http://$PREFECT_HOST:$PREFECT_PORT/api}
export PREFECT_SERVER_ANALYTICS_ENABLED=false
mkdir -p "$STATE_DIR"

say() { printf '\n== %s\n' "$*"; }
pg_version() { ls /usr/lib/postgresql | sort -n | tail -1; }
need_password() { [ -n "${PG_PASSWORD:-}" ] || { echo "set PG_PASSWORD (the prefect role's password)" >&2; exit 2; }; }

step_install() {
  say "install: Debian's PostgreSQL, and rightswatch with S3 support in .venv"
  if ! command -v pg_createcluster >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  make install
}

step_postgres() {
  need_password
  local v; v=$(pg_version)
  say "postgres: cluster $v/$PG_CLUSTER on 127.0.0.1:$PG_PORT, database prefect"
  if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$v/$PG_CLUSTER"; then
    pg_createcluster "$v" "$PG_CLUSTER" --port "$PG_PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  pg_ctlcluster "$v" "$PG_CLUSTER" start 2>/dev/null || pg_ctlcluster "$v" "$PG_CLUSTER" status >/dev/null
  runuser -u postgres -- psql -q -p "$PG_PORT" -v ON_ERROR_STOP=1 -v pw="$PG_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE prefect LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'prefect')\gexec
ALTER ROLE prefect PASSWORD :'pw';
SELECT 'CREATE DATABASE prefect OWNER prefect' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'prefect')\gexec
SQL
}

wait_for_server() {
  for _ in $(seq 1 180); do  # bounded: 3 minutes, migrations included
    if "$BIN/python" - "$PREFECT_API_URL/health" <<'PY' 2>/dev/null; then return 0; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).close()
PY
    sleep 1
  done
  echo "the Prefect server did not answer at $PREFECT_API_URL; see $STATE_DIR/server.log" >&2
  exit 1
}

step_server() {
  need_password
  say "server: Prefect on PostgreSQL at $PREFECT_API_URL"
  if [ -f "$STATE_DIR/server.pid" ] && kill -0 "$(cat "$STATE_DIR/server.pid")" 2>/dev/null; then
    wait_for_server; return
  fi
  PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://prefect:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/prefect" \
    nohup "$BIN/prefect" server start --host "$PREFECT_HOST" --port "$PREFECT_PORT" \
    >"$STATE_DIR/server.log" 2>&1 &
  echo $! >"$STATE_DIR/server.pid"
  wait_for_server
}

step_pool() {
  say "pool: process work pool 'rightswatch'"
  "$BIN/prefect" --no-prompt work-pool create rightswatch --type process --overwrite >/dev/null
}

step_secrets() {
  say "secrets: Prefect Secret blocks from the environment"
  if [ -z "${SECRETS:-}" ]; then echo "(SECRETS is empty: none saved)"; return; fi
  # shellcheck disable=SC2086 # SECRETS is a list of words
  "$BIN/python" deploy/prefect_setup.py secrets $SECRETS
}

step_alerts() {
  say "alerts: an automation that reports every failed or crashed rightswatch flow run"
  if [ -z "${ALERT_SLACK_WEBHOOK_URL:-}${ALERT_WEBHOOK_URL:-}" ]; then
    echo "(no ALERT_SLACK_WEBHOOK_URL or ALERT_WEBHOOK_URL: no alert set up)"; return
  fi
  "$BIN/python" deploy/prefect_setup.py alerts
}

step_deploy() {
  say "deploy: prefect.yaml's deployments (rightswatch-monitor/daily, rightswatch-shard/shard)"
  "$BIN/prefect" --no-prompt deploy --all >"$STATE_DIR/deploy.log" 2>&1 || {
    cat "$STATE_DIR/deploy.log" >&2; exit 1; }
}

step_workers() {
  say "workers: $WORKERS process workers on pool 'rightswatch'"
  for i in $(seq 1 "$WORKERS"); do
    local pid="$STATE_DIR/worker-$i.pid"
    if [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null; then continue; fi
    # A background job of a script starts with SIGINT ignored, and a worker stops on SIGTERM by
    # sending itself SIGINT: without the reset it ignores `down` and is killed 30 s later.
    nohup env --default-signal=INT "$BIN/prefect" worker start --pool rightswatch --limit 1 \
      --name "rightswatch-worker-$i" >"$STATE_DIR/worker-$i.log" 2>&1 &
    echo $! >"$pid"
  done
}

stop_pids() {  # TERM every process named by the pid files, then wait for all (bounded)
  local pids=() file pid
  for file in "$@"; do
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; pids+=("$pid"); fi
  done
  for _ in $(seq 1 60); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$@"
}

step_down() {
  say "down: workers, server, PostgreSQL"
  stop_pids "$STATE_DIR"/worker-*.pid  # workers first: they would report the server gone
  stop_pids "$STATE_DIR/server.pid"
  local v; v=$(pg_version)
  if [ "${DROP_DATABASE:-0}" = 1 ]; then
    pg_dropcluster --stop "$v" "$PG_CLUSTER" 2>/dev/null || true
  else
    pg_ctlcluster "$v" "$PG_CLUSTER" stop 2>/dev/null || true
  fi
}

[ $# -gt 0 ] || { sed -n '2,24p' "$0"; exit 2; }
for step in "$@"; do
  case $step in
    up) for s in install postgres server pool secrets alerts deploy workers; do "step_$s"; done ;;
    install|postgres|server|pool|secrets|alerts|deploy|workers|down) "step_$step" ;;
    *) echo "unknown step: $step" >&2; exit 2 ;;
  esac
done
