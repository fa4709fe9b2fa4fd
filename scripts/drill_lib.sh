# Shared by scripts/drill_*.sh (sourced): throwaway PostgreSQL clusters and
# Redis servers on free ports in one temporary directory, all stopped and
# removed on exit. Never touches the shared services on 5432/6379.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
DRILL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hucares-drill.XXXXXX")
chmod 755 "$DRILL_DIR"
_clusters=()
_redis_pids=()

# PostgreSQL refuses to run as root: as root, run its tools as `postgres`.
if [[ $(id -u) == 0 ]]; then
  chown postgres: "$DRILL_DIR"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
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
  _redis_pids+=("$(cat "$DRILL_DIR/redis-$port.pid")")
}

_drill_cleanup() {
  local status=$?
  for dir in "${_clusters[@]}"; do pg_stop "$dir" immediate; done
  for pid in "${_redis_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ $status != 0 && -n "${KEEP_DRILL_DIR:-}" ]]; then
    log "kept $DRILL_DIR"
  else
    rm -rf "$DRILL_DIR"
  fi
  exit $status
}
trap _drill_cleanup EXIT
