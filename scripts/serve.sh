#!/usr/bin/env bash
# `make serve`: the production layout on one machine, chosen by measurement
# (see README "Serving"): nginx on HOST:PORT in front of gunicorn (sync
# workers, HTTP API) and daphne (only /ws/), plus a Celery worker and beat
# when a broker is configured. Reads the same environment as `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."
# SERVER_VENV: the virtualenv the servers run from (bench/run_all.sh points it at
# one with requirements.txt only, as in the Docker image).
BIN=${SERVER_VENV:-$PWD/.venv}/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
HTTP_PORT=${HTTP_PORT:-$((PORT + 101))}
WS_PORT=${WS_PORT:-$((PORT + 102))}
# One daphne per core for /ws/: a socket's handshake and fan-out are CPU work
# on one event loop; presence and rooms already span processes through Redis.
WS_WORKERS=${WS_WORKERS:-$(nproc)}
# The WebSocket-only application (realtime/asgi.py); hucares.asgi:application also serves HTTP.
WS_APPLICATION=${WS_APPLICATION:-realtime.asgi:application}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-hucares.settings.production}
# nginx is the only client of the app servers, so the address it forwards is the client's.
export TRUSTED_PROXY_COUNT=${TRUSTED_PROXY_COUNT:-1}

if ! command -v nginx >/dev/null 2>&1; then
  echo "make serve needs nginx (Debian/Ubuntu: apt-get install nginx)." >&2
  exit 1
fi
if [[ -z "${SECRET_KEY:-}" ]]; then
  # A key kept on this machine only, so sessions and tokens survive restarts.
  [[ -s .secret_key ]] || "$BIN/python" -c "import secrets; print(secrets.token_urlsafe(64))" > .secret_key
  SECRET_KEY=$(cat .secret_key)
  export SECRET_KEY
fi
if [[ -z "${JWT_SIGNING_KEY:-}" ]]; then
  # Production signs tokens with a key of their own (docs/security.md).
  [[ -s .jwt_signing_key ]] || "$BIN/python" -c "import secrets; print(secrets.token_urlsafe(64))" > .jwt_signing_key
  JWT_SIGNING_KEY=$(cat .jwt_signing_key)
  export JWT_SIGNING_KEY
fi

# Every WebSocket holds a descriptor in nginx (two) and in daphne.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hucares-serve.XXXXXX")
export PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/prometheus"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput --verbosity 0

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT INT TERM

HTTP_BIND=127.0.0.1 HTTP_PORT=$HTTP_PORT "$BIN/gunicorn" "${WSGI_APP:-hucares.wsgi:application}" --config docker/gunicorn.conf.py &
pids+=($!)
ws_servers=""
for ((i = 0; i < WS_WORKERS; i++)); do
  "$BIN/daphne" --verbosity 0 --bind 127.0.0.1 --port $((WS_PORT + i)) "$WS_APPLICATION" &
  pids+=($!)
  ws_servers+="server 127.0.0.1:$((WS_PORT + i)); "
done
if [[ -n "${REDIS_URL:-}${CELERY_BROKER_URL:-}" ]]; then
  "$BIN/celery" -A hucares worker --loglevel "${LOG_LEVEL:-INFO}" --concurrency 2 &
  pids+=($!)
  "$BIN/celery" -A hucares beat --loglevel "${LOG_LEVEL:-INFO}" --schedule "$RUN_DIR/celerybeat-schedule" &
  pids+=($!)
fi
sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@HOST@|$HOST|g" -e "s|@PORT@|$PORT|g" \
    -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@WS_SERVERS@|$ws_servers|g" scripts/nginx.local.conf > "$RUN_DIR/nginx.conf"
nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "daemon off;" &
pids+=($!)

echo "HuCares (production layout) on http://$HOST:$PORT: gunicorn :$HTTP_PORT, $WS_WORKERS daphne from :$WS_PORT (/ws/)"
wait -n "${pids[@]}"
