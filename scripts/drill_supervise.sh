#!/usr/bin/env bash
# Fault drill: `kill -9` of the Celery worker and of one daphne under
# `make serve`. supervisord starts each again while HTTP and the other
# daphne keep serving; nothing else restarts. Own PostgreSQL and Redis.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

drill_supervise() {
  token=$(client register "$PORT" drill_supervise) || return 1
  declare -A before
  for program in gunicorn daphne-0 daphne-1 celery-worker celery-beat nginx; do before[$program]=$(program_pid "$program"); done

  log "kill -9 celery-worker (${before[celery-worker]}) and daphne-0 (${before[daphne-0]})"
  kill -9 "${before[celery-worker]}" "${before[daphne-0]}"
  # While they are down, the API and new sockets (through the other daphne) answer.
  for _ in 1 2 3 4 5; do
    client get "$PORT" /api/v1/users/profile "$token" | grep -q '^200 ' || { log "FAIL: HTTP stopped serving"; return 1; }
  done
  client ws "$PORT" "$token" || { log "FAIL: no socket through the surviving daphne"; return 1; }

  restarted() {
    local program
    for program in celery-worker daphne-0; do
      supervisorctl_ status "$program" | grep -q RUNNING || return 1
      [[ $(program_pid "$program") != "${before[$program]}" ]] || return 1
    done
  }
  t0=$(now)
  wait_for "supervisord to restart both" 60 restarted || { supervisorctl_ status; return 1; }
  log "both running again after $(elapsed "$t0" "$(now)") s"
  for program in gunicorn daphne-1 celery-beat nginx; do
    [[ $(program_pid "$program") == "${before[$program]}" ]] || { log "FAIL: $program was restarted too"; return 1; }
  done
  for _ in 1 2 3 4; do client ws "$PORT" "$token" || return 1; done  # both daphnes take sockets again
  supervisorctl_ status
  printf '\nSUPERVISE DRILL PASSED: dead children restarted, the rest kept serving\n'
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  stack_start
  drill_supervise
fi
