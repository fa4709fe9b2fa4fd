#!/usr/bin/env bash
# Fault drill: the HTTP app server is down behind nginx. Clients get the
# API's JSON error envelope (502, SERVICE_UNAVAILABLE), not an HTML page,
# and the API answers again once supervisord has it back. Own PostgreSQL and Redis.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

drill_nginx_errors() {
  supervisorctl_ stop gunicorn >/dev/null
  answer=$(client get "$PORT" /api/v1/health)
  log "with gunicorn stopped: ${answer:0:200}"
  [[ $answer == "502 application/json "* ]] || { log "FAIL: not a JSON 502"; return 1; }
  "$PY" -c 'import json, sys; body = json.loads(sys.argv[1].split(" ", 2)[2]); assert body["success"] is False and body["error"]["code"] == "SERVICE_UNAVAILABLE", body' "$answer" || return 1
  supervisorctl_ start gunicorn >/dev/null
  back() { client get "$PORT" /api/v1/health | grep -q '^200 '; }
  wait_for "the API to answer again" 60 back || return 1
  printf '\nNGINX ERRORS DRILL PASSED: 502 as a JSON envelope, then 200 again\n'
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  stack_start
  drill_nginx_errors
fi
