#!/usr/bin/env bash
# The fault drills of `make serve` on one stack (its own PostgreSQL, Redis
# and mail sink), one after the other: nginx's JSON errors, bodies up to the
# limit through nginx, supervised restarts, a PostgreSQL restart, a Redis
# restart with queued tasks, a worker killed mid-send, Redis down for 20 s
# under load; then, on a stack of its own (make serve's worker counts, rate
# limits off), 1,000 sockets dropped and back twice under load. Each is also
# a script of its own (scripts/drill_<name>.sh). Used by .ci/run.
here=$(dirname "$0")
for name in nginx_errors big_body supervise pg_restart redis_restart mail_crash redis_down mass_disconnect; do
  # shellcheck source=/dev/null
  source "$here/drill_$name.sh"
done
stack_start
for name in nginx_errors big_body supervise pg_restart redis_restart mail_crash redis_down; do
  log "=== drill: $name"
  t0=$(now)
  "drill_$name" || { log "FAIL: drill $name"; exit 1; }
  log "=== drill $name passed in $(elapsed "$t0" "$(now)") s"
done
_stack_stop
log "=== drill: mass_disconnect"
t0=$(now)
mass_stack_start
drill_mass_disconnect || { log "FAIL: drill mass_disconnect"; exit 1; }
log "=== drill mass_disconnect passed in $(elapsed "$t0" "$(now)") s"
printf '\nALL FAULT DRILLS PASSED\n'
