#!/usr/bin/env bash
# The fault drills of `make serve` on one stack (its own PostgreSQL, Redis
# and mail sink), one after the other: nginx's JSON errors, bodies up to the
# limit through nginx, supervised restarts, a PostgreSQL restart, a Redis
# restart with queued tasks, a worker killed mid-send, Redis down for 20 s
# under load; then, on a stack of its own (make serve's worker counts, rate
# limits off), 1,000 sockets dropped and back twice under load. Each is also
# a script of its own (scripts/drill_<name>.sh). Used by .ci/run.
here=$(dirname "$0")
# The drills of the shared stack, in order; mass_disconnect follows on its own.
drills=(nginx_errors big_body supervise pg_restart redis_restart mail_crash redis_down)
for name in "${drills[@]}" mass_disconnect; do
  # shellcheck source=/dev/null
  source "$here/drill_$name.sh"
done
run_drill() {
  log "=== drill: $1"
  t0=$(now)
  "drill_$1" || { log "FAIL: drill $1"; exit 1; }
  log "=== drill $1 passed in $(elapsed "$t0" "$(now)") s"
}
stack_start
for name in "${drills[@]}"; do run_drill "$name"; done
_stack_stop
mass_stack_start
run_drill mass_disconnect
printf '\nALL FAULT DRILLS PASSED\n'
