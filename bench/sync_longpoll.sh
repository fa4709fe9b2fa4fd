#!/usr/bin/env bash
# The API bench (bench/api.py) on the production layout (`make serve`) alone, then
# while 1,000 clients long-poll GET /api/v1/events (bench/longpoll.py), then alone
# again; each run's output goes to bench/out/. Needs nginx and wrk, PostgreSQL and
# Redis on localhost.
#
#   bench/sync_longpoll.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${BENCH_PORT:-8830}
DB=${BENCH_DB:-hucares_sync_bench}
CLIENTS=${LONGPOLL_CLIENTS:-1000}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/9}
export CHANNEL_LAYER_PREFIX=${CHANNEL_LAYER_PREFIX:-syncbench} CACHE_KEY_PREFIX=${CACHE_KEY_PREFIX:-syncbench}
export RATELIMIT_ENABLE=false LOG_LEVEL=WARNING
# Keys of this run only: production refuses any key written in the repository.
SECRET_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(64))")
JWT_SIGNING_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(64))")
export SECRET_KEY JWT_SIGNING_KEY
export DJANGO_SETTINGS_MODULE=hucares.settings.production ALLOWED_HOSTS=127.0.0.1,localhost ALLOW_CONSOLE_EMAIL=true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p bench/out
$BIN/python -c "import time; t = time.process_time(); sum(range(20_000_000)); \
print(f'CPU reference: 20M-step sum() in {time.process_time() - t:.2f} s')" | tee bench/out/sync_cpu_reference.txt

dropdb -h 127.0.0.1 -U postgres --if-exists "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
PORT=$PORT scripts/serve.sh > bench/out/sync_serve.log 2>&1 &
serve_pid=$!
poll_pid=
trap 'kill $poll_pid $serve_pid 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 90); do curl -sf "http://127.0.0.1:$PORT/api/v1/health/live" >/dev/null && break; sleep 1; done

api() { $BIN/python bench/api.py --base-url "http://127.0.0.1:$PORT" --clients 32 --groups 20 | tee "bench/out/$1"; }

echo "== API bench alone"; api sync_api_alone_1.txt
echo "== API bench with $CLIENTS long-polls waiting"
$BIN/python bench/longpoll.py --base-url "http://127.0.0.1:$PORT" --clients "$CLIENTS" --seconds 600 \
  > bench/out/sync_longpoll.txt 2>&1 &
poll_pid=$!
until grep -q READY bench/out/sync_longpoll.txt 2>/dev/null; do
  kill -0 $poll_pid 2>/dev/null || { cat bench/out/sync_longpoll.txt; exit 1; }
  sleep 1
done
cat bench/out/sync_longpoll.txt
api sync_api_with_longpolls.txt
kill $poll_pid 2>/dev/null || true
wait $poll_pid 2>/dev/null || true
echo "== API bench alone again"; api sync_api_alone_2.txt
