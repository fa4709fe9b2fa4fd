#!/usr/bin/env bash
# `make serve`: the production layout on one machine, chosen by measurement
# (see README "Serving"): nginx in front of gunicorn (sync workers, HTTP API)
# and daphne (only /ws/), plus a Celery worker and beat when a broker is
# configured. Reads the same environment as `make run`.
#
# supervisord runs every process: one that dies is started again (with
# backoff when it keeps failing) while the others keep serving.
#
# TLS=1 serves HTTPS on PORT with a certificate from TLS_DIR (default .tls/,
# made by scripts/tls_selfsigned.sh when absent; trust .tls/ca.pem) and
# redirects plain HTTP on HTTP_REDIRECT_PORT (PORT+1) to it.
set -euo pipefail
cd "$(dirname "$0")/.."
# SERVER_VENV: the virtualenv the servers run from (bench/run_all.sh points it at
# one with requirements.txt only, as in the Docker image).
BIN=${SERVER_VENV:-$PWD/.venv}/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
HTTP_PORT=${HTTP_PORT:-$((PORT + 101))}
WS_PORT=${WS_PORT:-$((PORT + 102))}
TLS=${TLS:-0}
# One daphne per core for /ws/: a socket's handshake and fan-out are CPU work
# on one event loop; presence and rooms already span processes through Redis.
WS_WORKERS=${WS_WORKERS:-$(nproc)}
# The one ASGI application (hucares/asgi.py); nginx sends it /ws/ and the long-poll only.
WS_APPLICATION=${WS_APPLICATION:-hucares.asgi:application}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-hucares.settings.production}
# nginx is the only client of the app servers, so the address it forwards is the client's.
export TRUSTED_PROXY_COUNT=${TRUSTED_PROXY_COUNT:-1}
# On one machine without EMAIL_URL, mails go to the log on purpose (production
# settings refuse that unless told).
if [[ -z ${EMAIL_URL:-} ]]; then
  export ALLOW_CONSOLE_EMAIL=${ALLOW_CONSOLE_EMAIL:-true}
  echo "make serve: no EMAIL_URL, mails are printed to the log." >&2
fi

if ! command -v nginx >/dev/null 2>&1; then
  echo "make serve needs nginx (Debian/Ubuntu: apt-get install nginx)." >&2
  exit 1
fi
for name in SECRET_KEY JWT_SIGNING_KEY; do
  if [[ -z "${!name:-}" ]]; then
    # Keys kept on this machine only, so sessions and tokens survive restarts.
    file=.$(tr '[:upper:]' '[:lower:]' <<<"$name")
    [[ -s $file ]] || (umask 077 && "$BIN/python" -c "import secrets; print(secrets.token_urlsafe(64))" > "$file")
    export "$name=$(cat "$file")"
  fi
done

# Every WebSocket holds a descriptor in nginx (two) and in daphne.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hucares-serve.XXXXXX")
# nginx's workers (nobody when started as root) write request bodies and
# buffered answers under RUN_DIR (scripts/nginx.local.conf): they must be able
# to pass through it. Traverse only: nobody else may list it.
chmod 711 "$RUN_DIR"
export PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/prometheus"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
cleanup() { rm -rf "$RUN_DIR"; }
trap cleanup EXIT

"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput --verbosity 0

# nginx: the shipped template, with loopback upstreams.
ws_servers=""
for ((i = 0; i < WS_WORKERS; i++)); do ws_servers+="server 127.0.0.1:$((WS_PORT + i)); "; done
export NGINX_HTTP_UPSTREAM="server 127.0.0.1:$HTTP_PORT;" NGINX_WS_UPSTREAM="$ws_servers"
if [[ $TLS == 1 ]]; then
  export BEHIND_TLS_PROXY=true
  TLS_DIR=${TLS_DIR:-$PWD/.tls}
  scripts/tls_selfsigned.sh "$TLS_DIR"
  HTTP_REDIRECT_PORT=${HTTP_REDIRECT_PORT:-$((PORT + 1))}
  export NGINX_HTTPS_LISTEN="$HOST:$PORT" NGINX_HTTP_LISTEN="$HOST:$HTTP_REDIRECT_PORT" \
    NGINX_CERT_DIR="$TLS_DIR" NGINX_HTTPS_REDIRECT_PORT=":$PORT"
  scripts/render_nginx.sh "$RUN_DIR/conf"
  main_include="$RUN_DIR/conf/default.conf"
  url="https://$HOST:$PORT (CA: $TLS_DIR/ca.pem; http://$HOST:$HTTP_REDIRECT_PORT redirects)"
else
  # Plain HTTP on PORT: the shipped upstreams and app locations in one plain server.
  export NGINX_HTTPS_LISTEN=unused NGINX_HTTP_LISTEN=unused NGINX_CERT_DIR=unused
  scripts/render_nginx.sh "$RUN_DIR/conf"
  printf 'include %s/conf/hucares-http.inc;\nserver {\n    listen %s:%s;\n    include %s/conf/hucares-app.inc;\n}\n' \
    "$RUN_DIR" "$HOST" "$PORT" "$RUN_DIR" > "$RUN_DIR/conf/plain.conf"
  main_include="$RUN_DIR/conf/plain.conf"
  url="http://$HOST:$PORT"
fi
sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@WORKERS@|auto|g" -e "s|@INCLUDE@|$main_include|g" scripts/nginx.local.conf > "$RUN_DIR/nginx.conf"
if [[ $(id -u) == 0 ]] && ! runuser -u nobody -- test -x "$RUN_DIR"; then
  # A directory above RUN_DIR is closed to others (TMPDIR inside a private
  # home): every body over nginx's memory buffer would fail with a 500.
  echo "make serve: nginx's workers (nobody) cannot reach $RUN_DIR; set TMPDIR to a directory they can pass through." >&2
  exit 1
fi

# supervisord: the programs, rendered into the run directory.
program() { # name command...
  local name=$1
  shift
  printf '\n[program:%s]\ncommand=%s\n' "$name" "$*"
  printf 'autorestart=true\nstartsecs=3\nstartretries=10\nstopasgroup=true\nkillasgroup=true\n'
  printf 'stopwaitsecs=20\nredirect_stderr=true\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n'
}
{
  printf '[supervisord]\nnodaemon=true\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\n' "$RUN_DIR" "$RUN_DIR"
  printf '[unix_http_server]\nfile=%s/supervisor.sock\n' "$RUN_DIR"
  printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n'
  printf '[supervisorctl]\nserverurl=unix://%s/supervisor.sock\n' "$RUN_DIR"
  program gunicorn env HTTP_BIND=127.0.0.1 HTTP_PORT="$HTTP_PORT" "$BIN/gunicorn" "${WSGI_APP:-hucares.wsgi:application}" --config docker/gunicorn.conf.py
  # gunicorn's /metrics reports every daphne (one multiprocess directory):
  # no metrics port of their own, which would be one port for all of them.
  # WS_NICE (0) lowers the daphnes' CPU priority: HTTP then goes first when
  # both want the CPU, and live events wait (docs/decisions.md has the figures).
  for ((i = 0; i < WS_WORKERS; i++)); do
    program "daphne-$i" nice -n "${WS_NICE:-0}" env -u WS_METRICS_PORT "$BIN/daphne" --verbosity 0 --bind 127.0.0.1 --port $((WS_PORT + i)) "$WS_APPLICATION"
  done
  if [[ -n "${REDIS_URL:-}${CELERY_BROKER_URL:-}" ]]; then
    program celery-worker "$BIN/celery" -A hucares worker --loglevel "${LOG_LEVEL:-INFO}" --concurrency 2
    program celery-beat "$BIN/celery" -A hucares beat --loglevel "${LOG_LEVEL:-INFO}" --schedule "$RUN_DIR/celerybeat-schedule"
  fi
  program nginx nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "'daemon off;'"
} > "$RUN_DIR/supervisord.conf"

echo "HuCares (production layout) on $url: gunicorn :$HTTP_PORT, $WS_WORKERS daphne from :$WS_PORT (/ws/)"
echo "Processes: $BIN/supervisorctl -c $RUN_DIR/supervisord.conf status"
# supervisord stops its children on SIGTERM/SIGINT; the trap removes RUN_DIR after.
"$BIN/supervisord" -c "$RUN_DIR/supervisord.conf" &
supervisor=$!
trap 'kill -TERM $supervisor 2>/dev/null; wait $supervisor; cleanup' INT TERM
wait $supervisor
