# Shared by scripts/drill_*.sh (sourced): throwaway PostgreSQL clusters and
# Redis servers on free ports in one temporary directory, all stopped and
# removed on exit. Never touches the shared services on 5432/6379.
set -euo pipefail
# Sourced once even when several drills are sourced together (drill_faults.sh).
[[ -z "${_DRILL_LIB:-}" ]] || return 0
_DRILL_LIB=1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
DRILL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hucares-drill.XXXXXX")
chmod 755 "$DRILL_DIR"
_clusters=()

# PostgreSQL refuses to run as root: as root, run its tools as `postgres`.
if [[ $(id -u) == 0 ]]; then
  chown postgres: "$DRILL_DIR"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
# free_port: a free loopback port, from DRILL_PORTS ("FIRST-LAST") when set
# (a machine shared by several people gives each a range), else any.
free_port() {
  "$PY" - "${DRILL_PORTS:-0-0}" <<'PY'
import random, socket, sys
first, last = map(int, sys.argv[1].split("-"))
for port in random.sample(range(first, last + 1), last - first + 1):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
else:
    sys.exit("no free port in " + sys.argv[1])
PY
}
now() { date +%s.%N; }
elapsed() { "$PY" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

# wait_for DESCRIPTION TIMEOUT COMMAND...: poll until COMMAND succeeds.
wait_for() {
  local what=$1 timeout=$2 deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || { log "timed out waiting for $what"; return 1; }
    sleep 0.2
  done
}

# pg_init DIR: a new cluster (trust auth on loopback only, superuser postgres).
pg_init() {
  as_pg "$PG_BIN/initdb" -D "$1" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
}
# pg_start DIR PORT [postgres -c options...]
pg_start() {
  local dir=$1 port=$2
  shift 2
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir.log" -w -t 120 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DRILL_DIR $*" start >/dev/null
  _clusters+=("$dir")
}
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null 2>&1 || true; }
# psql_at PORT [DB] -- SQL: one value, unaligned.
psql_at() { psql -h 127.0.0.1 -p "$1" -U postgres -d "${2:-postgres}" -XAtq -v ON_ERROR_STOP=1 -c "$3"; }

# redis_start PORT [options...]: a Redis server in the drill directory.
redis_start() {
  local port=$1
  shift
  mkdir -p "$DRILL_DIR/redis-$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$DRILL_DIR/redis-$port" --daemonize yes \
    --pidfile "$DRILL_DIR/redis-$port.pid" --logfile "$DRILL_DIR/redis-$port.log" "$@"
  wait_for "redis on $port" 20 redis-cli -p "$port" ping
}

_gone() { ! kill -0 "$1" 2>/dev/null; }
_drill_cleanup() {
  local status=${1:-$?}
  for dir in "${_clusters[@]}"; do pg_stop "$dir" immediate; done
  local pid pids=()
  for pidfile in "$DRILL_DIR"/redis-*.pid; do
    [[ -f $pidfile ]] && pid=$(cat "$pidfile") && kill "$pid" 2>/dev/null && pids+=("$pid")
  done
  for pid in "${pids[@]}"; do wait_for "redis $pid to exit" 20 _gone "$pid" || true; done
  if [[ $status != 0 && -n "${KEEP_DRILL_DIR:-}" ]]; then
    log "kept $DRILL_DIR"
  else
    rm -rf "$DRILL_DIR" 2>/dev/null || rm -rf "$DRILL_DIR" || true
  fi
  exit $status
}
trap _drill_cleanup EXIT

# --- A whole `make serve` stack on its own PostgreSQL and Redis -------------
# stack_start [VAR=value...]: sets PG_PORT, REDIS_PORT, PORT, SUPERVISOR_CONF,
# MAIL_DIR (the mail sink's messages), MAIL_CONTROL (its hold switches) and
# starts scripts/serve.sh (supervisord) in the background, with this extra
# environment for its processes. The cluster is in PG_DIR ($DRILL_DIR/pg): a
# second stack in one run (drill_faults.sh) needs another.
client() { "$PY" "$ROOT/scripts/drill_client.py" "$@"; }
supervisorctl_() { "$(dirname "$PY")/supervisorctl" -c "$SUPERVISOR_CONF" "$@"; }
program_pid() { supervisorctl_ pid "$1"; }

stack_start() {
  local pg_dir=${PG_DIR:-$DRILL_DIR/pg}
  PG_PORT=$(free_port)
  REDIS_PORT=$(free_port)
  PORT=$(free_port)
  MAIL_DIR=$DRILL_DIR/mail
  MAIL_CONTROL=$DRILL_DIR/mail-control
  mkdir -p "$MAIL_DIR" "$MAIL_CONTROL"
  # A real SMTP conversation, into files of MAIL_DIR (scripts/drill_smtp_sink.py).
  SMTP_PORT=$(free_port)
  "$PY" "$ROOT/scripts/drill_smtp_sink.py" "$SMTP_PORT" "$MAIL_DIR" "$MAIL_CONTROL" > "$DRILL_DIR/smtp.log" 2>&1 &
  _smtp_pid=$!
  smtp_up() { "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$SMTP_PORT"; }
  wait_for "the mail sink" 20 smtp_up || return 1
  pg_init "$pg_dir"
  pg_start "$pg_dir" "$PG_PORT"
  psql_at "$PG_PORT" postgres "CREATE DATABASE hucares"
  redis_start "$REDIS_PORT" --appendonly yes --appendfsync everysec
  log "stack: PostgreSQL :$PG_PORT, Redis :$REDIS_PORT, nginx :$PORT"
  (
    cd "$ROOT"
    export TMPDIR=$DRILL_DIR PORT HOST=127.0.0.1 HTTP_PORT=$(free_port) WS_PORT=$(free_port) WS_WORKERS=2
    export WEB_CONCURRENCY=2 ALLOWED_HOSTS=127.0.0.1,localhost
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/hucares" REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    export EMAIL_URL="smtp://127.0.0.1:$SMTP_PORT" LOG_LEVEL=WARNING
    # Fresh keys each run: production settings refuse any key written in the repository.
    SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')
    JWT_SIGNING_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')
    export SECRET_KEY JWT_SIGNING_KEY
    (($# == 0)) || export "$@"
    exec scripts/serve.sh
  ) > "$DRILL_DIR/serve.log" 2>&1 &
  _serve_pid=$!
  healthy() { client get "$PORT" /api/v1/health | grep -q '^200 '; }
  wait_for "the stack to serve" 120 healthy || { tail -30 "$DRILL_DIR/serve.log"; return 1; }
  # The newest: a drill that starts a stack of its own after another's (drill_faults.sh).
  SUPERVISOR_CONF=$(ls -t "$DRILL_DIR"/hucares-serve.*/supervisord.conf | head -1)
}

_stack_stop() {
  if [[ -n "${_serve_pid:-}" ]]; then
    kill -TERM "$_serve_pid" 2>/dev/null || true
    wait "$_serve_pid" 2>/dev/null || true
  fi
  if [[ -n "${_smtp_pid:-}" ]]; then
    kill -TERM "$_smtp_pid" 2>/dev/null || true
    wait "$_smtp_pid" 2>/dev/null || true
  fi
}
# Stop the stack before the clusters and Redis it uses.
trap 'status=$?; _stack_stop; _drill_cleanup $status' EXIT
