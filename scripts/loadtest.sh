#!/usr/bin/env bash
# `make loadtest`: the seed-scale load test (loadtest/seed.py) against the
# production layout. Without TARGET it starts scripts/serve.sh on a free port
# with the environment's DATABASE_URL and REDIS_URL, rate limits off (every
# user comes from 127.0.0.1) and access tokens that outlive the run, and stops
# it afterwards. PEAK_RATE (500/s), DURATION (600 s), USERS (1,000) and
# GROUP_SIZE (10) shape the run; it fails when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

serve_pid=""
stop() { [[ -z $serve_pid ]] || { kill -TERM "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; }; }
trap stop EXIT
mkdir -p loadtest/out
if [[ -z "${TARGET:-}" ]]; then
  : "${DATABASE_URL:?set DATABASE_URL (and REDIS_URL) for the server, or TARGET for one already running}"
  free_port() { .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  port=$(free_port)
  export TARGET="http://127.0.0.1:$port"
  # serve.sh puts gunicorn at PORT+101 and the daphnes from PORT+102 on.
  PORT=$port RATELIMIT_ENABLE=false JWT_ACCESS_MINUTES=120 LOG_LEVEL=WARNING ALLOWED_HOSTS=127.0.0.1,localhost \
    scripts/serve.sh > loadtest/out/serve.log 2>&1 &
  serve_pid=$!
  for _ in $(seq 1 240); do
    curl -fs "$TARGET/api/v1/health" >/dev/null && break
    kill -0 "$serve_pid" 2>/dev/null || { tail -20 loadtest/out/serve.log; exit 1; }
    sleep 0.5
  done
fi
echo "Load test against $TARGET: ${USERS:-1000} users with sockets, ${PEAK_RATE:-500}/s for ${DURATION:-600} s"
.venv/bin/python loadtest/seed.py "$@"
