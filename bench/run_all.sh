#!/usr/bin/env bash
# Runs every benchmark against the production layout (`make serve`: nginx ->
# gunicorn for HTTP, daphne for /ws/) on this machine, with a fresh database,
# and writes each one's output to bench/out/. Needs nginx and wrk
# (apt-get install nginx wrk), PostgreSQL and Redis on localhost.
#
#   bench/run_all.sh            # all of them
#   bench/run_all.sh auth api   # some of them: serving auth api analytics ws classes
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${BENCH_PORT:-8800}
DB=${BENCH_DB:-hucares_bench}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/9}
export RATELIMIT_ENABLE=false LOG_LEVEL=WARNING
# Keys of this run only: production refuses any key written in the repository.
SECRET_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(64))")
JWT_SIGNING_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(64))")
export SECRET_KEY JWT_SIGNING_KEY
export DJANGO_SETTINGS_MODULE=hucares.settings.production ALLOWED_HOSTS=127.0.0.1,localhost ALLOW_CONSOLE_EMAIL=true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p bench/out
which=("$@")
[[ ${#which[@]} -gt 0 ]] || which=(serving auth api analytics ws)

# The servers run from a virtualenv of requirements.txt only, as in the Docker
# image: the development tools (pytest, check-jsonschema's requests, ...) would
# otherwise be imported by the servers too (DRF imports requests and pygments
# when they are installed) and add ~5 MiB to every process.
SERVER_VENV=${BENCH_SERVER_VENV:-$PWD/.venv-prod}
if [[ ! -x $SERVER_VENV/bin/daphne || requirements.txt -nt $SERVER_VENV/.installed ]]; then
  "$(command -v python3.11 || command -v python3)" -m venv "$SERVER_VENV"
  "$SERVER_VENV/bin/pip" install --quiet --upgrade pip
  "$SERVER_VENV/bin/pip" install --quiet -r requirements.txt
  touch "$SERVER_VENV/.installed"
fi
export SERVER_VENV

# This machine's speed drifts (shared host): a fixed Python loop timed at the
# start makes runs comparable with each other.
$BIN/python -c "import time; t = time.process_time(); sum(range(20_000_000)); \
print(f'CPU reference: 20M-step sum() in {time.process_time() - t:.2f} s')" | tee bench/out/cpu_reference.txt

dropdb -h 127.0.0.1 -U postgres --if-exists "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
redis-cli -u "$REDIS_URL" flushdb >/dev/null

if [[ " ${which[*]} " == *" serving "* ]]; then
  $BIN/python bench/serving.py | tee bench/out/serving.txt
fi

PORT=$PORT scripts/serve.sh > bench/out/serve.log 2>&1 &
serve_pid=$!
ceiling_pid=
trap 'kill $serve_pid $ceiling_pid 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/api/v1/health/live" >/dev/null && break; sleep 1; done
# This run's daphnes only (their ports), not those of another run on the same machine.
ws_pids=$(for ((i = 0; i < ${WS_WORKERS:-$(nproc)}; i++)); do
  pgrep -f "daphne --verbosity 0 --bind 127.0.0.1 --port $((PORT + 102 + i)) " || true
done | paste -sd, -)

# The ceilings of auth and api: bench/ceiling.py's minimal views on the same layout, beside the app.
CEILING_PORT=$((PORT + 50))
if [[ " ${which[*]} " =~ " "(auth|api|classes)" " ]]; then
  PORT=$CEILING_PORT WS_WORKERS=1 WSGI_APP=bench.ceiling:application REDIS_URL= \
    scripts/serve.sh > bench/out/ceiling.log 2>&1 &
  ceiling_pid=$!
  for _ in $(seq 1 60); do curl -sf -XPOST -d '{}' -H 'Content-Type: application/json' \
    "http://127.0.0.1:$CEILING_PORT/insert" >/dev/null && break; sleep 1; done
fi

for name in "${which[@]}"; do
  case $name in
    auth) $BIN/python bench/auth.py --base-url "http://127.0.0.1:$PORT" --levels 1 4 8 32 \
            --ceiling-url "http://127.0.0.1:$CEILING_PORT" | tee bench/out/auth.txt ;;
    api) $BIN/python bench/api.py --base-url "http://127.0.0.1:$PORT" --clients 32 --groups 20 \
           --ceiling-url "http://127.0.0.1:$CEILING_PORT" | tee bench/out/api.txt ;;
    analytics) $BIN/python bench/analytics.py --base-url "http://127.0.0.1:$PORT" | tee bench/out/analytics.txt ;;
    ws) $BIN/python bench/ws_fanout.py --base-url "http://127.0.0.1:$PORT" --ws-url "ws://127.0.0.1:$PORT/ws/" \
          --sockets 1000 --group-size 20 --events 200 --concurrency "${WS_CONCURRENCY:-10}" --ws-pids "$ws_pids" \
          | tee bench/out/ws_fanout.txt ;;
    classes) $BIN/python bench/class_cpu.py --base-url "http://127.0.0.1:$PORT" \
               --web-pids "$(pgrep -f 'gunicorn hucares.wsgi:application' | paste -sd, -)" \
               --ceiling-url "http://127.0.0.1:$CEILING_PORT" \
               --ceiling-pids "$(pgrep -f 'gunicorn bench.ceiling:application' | paste -sd, -)" \
               | tee bench/out/class_cpu.txt ;;
    serving) ;;
    *) echo "unknown benchmark: $name" >&2; exit 2 ;;
  esac
done
