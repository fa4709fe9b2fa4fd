#!/usr/bin/env bash
# `make run`: migrate, then serve HTTP and WebSocket from one daphne process on
# HOST:PORT. With a broker configured (REDIS_URL) a Celery worker and beat run
# beside it; without one, tasks run inline in the web process.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# Links in emails (verification, reset, invitations) open the web client this
# process serves, unless the deployment says where its front end lives.
export FRONTEND_URL=${FRONTEND_URL:-http://$HOST:$PORT}

$BIN/python manage.py migrate --noinput
$BIN/python manage.py collectstatic --noinput --verbosity 0

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [[ -n "${REDIS_URL:-}${CELERY_BROKER_URL:-}" ]]; then
  $BIN/celery -A hucares worker --loglevel "${LOG_LEVEL:-INFO}" --concurrency 2 &
  pids+=($!)
  $BIN/celery -A hucares beat --loglevel "${LOG_LEVEL:-INFO}" --schedule "${TMPDIR:-/tmp}/hucares-celerybeat-schedule" &
  pids+=($!)
fi

echo "HuCares on http://$HOST:$PORT (web app /, API /api/v1/, docs /api/v1/docs/, WebSocket /ws/)"
$BIN/daphne --verbosity 0 --bind "$HOST" --port "$PORT" hucares.asgi:application &
pids+=($!)
wait -n "${pids[@]}"
