#!/usr/bin/env bash
# The four fault drills of `make serve` on one stack (its own PostgreSQL and
# Redis), one after the other: nginx's JSON errors, supervised restarts, a
# PostgreSQL restart, a Redis restart with queued tasks. Each is also a
# script of its own (scripts/drill_<name>.sh). Used by .ci/run.
here=$(dirname "$0")
for name in nginx_errors supervise pg_restart redis_restart; do
  # shellcheck source=/dev/null
  source "$here/drill_$name.sh"
done
stack_start
for name in nginx_errors supervise pg_restart redis_restart; do
  log "=== drill: $name"
  t0=$(now)
  "drill_$name" || { log "FAIL: drill $name"; exit 1; }
  log "=== drill $name passed in $(elapsed "$t0" "$(now)") s"
done
printf '\nALL FAULT DRILLS PASSED\n'
