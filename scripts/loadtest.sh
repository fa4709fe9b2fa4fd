#!/usr/bin/env bash
# `make loadtest`: Artillery (loadtest/, pinned by package-lock.json) against
# `make serve`. Without TARGET it starts scripts/serve.sh on a free port with
# the environment's DATABASE_URL and REDIS_URL, rate limits off (every
# virtual user comes from 127.0.0.1), and stops it afterwards. Phases:
# WARMUP_SECONDS at 1 arrival/s, RAMP_SECONDS up to PEAK_RATE, PEAK_SECONDS at
# PEAK_RATE. Fails when a p95 target (an `ensure` threshold) is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
export WARMUP_SECONDS=${WARMUP_SECONDS:-30} RAMP_SECONDS=${RAMP_SECONDS:-60} PEAK_SECONDS=${PEAK_SECONDS:-120}
export PEAK_RATE=${PEAK_RATE:-4}
# One daphne: consecutive free ports are not guaranteed; sockets are a small share here.
command -v npm >/dev/null || { echo "make loadtest needs Node.js 18+ and npm" >&2; exit 1; }
# The browser engine's download is not needed: these scenarios are HTTP and WebSocket.
[[ -d loadtest/node_modules ]] || (cd loadtest && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)

serve_pid=""
stop() { [[ -z $serve_pid ]] || { kill -TERM "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; }; }
trap stop EXIT
if [[ -z "${TARGET:-}" ]]; then
  : "${DATABASE_URL:?set DATABASE_URL (and REDIS_URL) for the server, or TARGET for one already running}"
  free_port() { .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  port=$(free_port)
  TARGET="http://127.0.0.1:$port"
  mkdir -p loadtest/out
  # Free ports for the app servers too (serve.sh's defaults are PORT+101, +102).
  PORT=$port HTTP_PORT=$(free_port) WS_PORT=$(free_port) WS_WORKERS=1 RATELIMIT_ENABLE=false LOG_LEVEL=WARNING ALLOWED_HOSTS=127.0.0.1,localhost scripts/serve.sh > loadtest/out/serve.log 2>&1 &
  serve_pid=$!
  for _ in $(seq 1 240); do
    curl -fs "$TARGET/api/v1/health" >/dev/null && break
    kill -0 "$serve_pid" 2>/dev/null || { tail -20 loadtest/out/serve.log; exit 1; }
    sleep 0.5
  done
fi
mkdir -p loadtest/out
echo "Artillery against $TARGET: warm-up ${WARMUP_SECONDS}s, ramp ${RAMP_SECONDS}s to $PEAK_RATE/s, peak ${PEAK_SECONDS}s at $PEAK_RATE/s"
status=0
(cd loadtest && npx artillery run --target "$TARGET" --output out/report.json scenarios.yml) || status=$?
.venv/bin/python - loadtest/out/report.json <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))["aggregate"]
targets = {"auth": 200, "profile": 150, "checkin": 300, "group": 250, "analytics": 500}
print(f"\n{'class':<10}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'target':>9}")
for name, target in targets.items():
    s = report["summaries"].get(f"plugins.metrics-by-endpoint.response_time.{name}", {})
    print(f"{name:<10}{s.get('count', 0):>9}{s.get('median', 0):>9}{s.get('p95', 0):>9}{s.get('p99', 0):>9}{target:>9}")
c = report["counters"]
codes = {k.split('.')[-1]: v for k, v in c.items() if k.startswith("http.codes.")}
print(f"\nrequests {c.get('http.requests', 0)}, codes {codes}, virtual users created {c.get('vusers.created', 0)}, "
      f"failed {c.get('vusers.failed', 0)}, sockets {c.get('websocket.messages_sent', 0)} frames sent")
PY
exit $status
