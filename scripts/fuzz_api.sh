#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API from its own OpenAPI schema
# (schemathesis): every operation, with generated valid and invalid input,
# must never answer 5xx. Serves the app with gunicorn and production settings
# on a fresh database (PostgreSQL and Redis on localhost), as one member with
# a group and a check-in (scripts/fuzz_setup.py). Not part of `make test`:
# what it generates differs from run to run; a failure prints a curl line
# that reproduces it.
#
#   scripts/fuzz_api.sh                   # 300 s
#   FUZZ_SECONDS=60 scripts/fuzz_api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${FUZZ_PORT:-8650}
DB=${FUZZ_DB:-hucares_fuzz}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export REDIS_URL=${FUZZ_REDIS_URL:-redis://127.0.0.1:6379/7}
export CHANNEL_LAYER_PREFIX=fuzz RATELIMIT_ENABLE=false LOG_LEVEL=ERROR ALLOWED_HOSTS=127.0.0.1
export DJANGO_SETTINGS_MODULE=hucares.settings.production
SECRET_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(64))")
JWT_SIGNING_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(64))")
export SECRET_KEY JWT_SIGNING_KEY
export ALLOW_CONSOLE_EMAIL=true

# schemathesis in a virtualenv of its own: it is a tool run against the app, not part of it.
FUZZ_VENV=.venv-fuzz
if [[ ! -x $FUZZ_VENV/bin/st ]]; then
  "$(command -v python3.11 || command -v python3)" -m venv "$FUZZ_VENV"
  "$FUZZ_VENV/bin/pip" install --quiet schemathesis==4.32.5
fi

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hucares-fuzz.XXXXXX")
export PROMETHEUS_MULTIPROC_DIR=$RUN_DIR/prometheus
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
dropdb -h 127.0.0.1 -U postgres --if-exists "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
redis-cli -u "$REDIS_URL" flushdb >/dev/null
.venv/bin/python manage.py migrate --noinput --verbosity 0
.venv/bin/python manage.py spectacular --file "$RUN_DIR/schema.yaml"
TOKEN=$(.venv/bin/python scripts/fuzz_setup.py)

HTTP_BIND=127.0.0.1 HTTP_PORT=$PORT WEB_CONCURRENCY=2 .venv/bin/gunicorn hucares.wsgi:application \
  --config docker/gunicorn.conf.py > "$RUN_DIR/gunicorn.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$RUN_DIR"' EXIT
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$PORT/api/v1/health/live" >/dev/null && break; sleep 1; done

# Logging out, changing the password or deleting the account would end the session the run uses.
status=0
(cd "$RUN_DIR" && "$OLDPWD/$FUZZ_VENV/bin/st" run schema.yaml --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Bearer $TOKEN" --checks not_a_server_error \
  --exclude-path-regex 'auth/logout|auth/change-password|users/account' \
  --max-time "${FUZZ_SECONDS:-300}" --workers 2) || status=$?
# The server's side of any failure: each unhandled error the app logged, with its request id.
.venv/bin/python - "$RUN_DIR/gunicorn.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{") and (entry := json.loads(line))["level"] == "ERROR":
        print(entry.get("requestId"), entry["message"], "|", entry.get("exc_info", "").strip().splitlines()[-1:])
PY
exit $status
