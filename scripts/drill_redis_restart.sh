#!/usr/bin/env bash
# Fault drill: Redis (the Celery broker) restarts while tasks are queued.
# With the append-only file (as in docker/compose.yml) the queued tasks
# survive and a worker sends them afterwards. Own PostgreSQL and Redis.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

drill_redis_restart() {
  supervisorctl_ stop celery-worker >/dev/null
  queued() { redis-cli -p "$REDIS_PORT" llen celery; }
  for i in 1 2 3; do client register "$PORT" "drill_redis_$i" >/dev/null; done  # a verification email task each
  [[ $(queued) -ge 3 ]] || { log "FAIL: expected 3 queued tasks, found $(queued)"; return 1; }
  n=$(queued)
  log "$n tasks queued with no worker running; restarting Redis"
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  wait_for "Redis to stop" 20 test ! -e "$DRILL_DIR/redis-$REDIS_PORT.pid" || return 1
  redis_start "$REDIS_PORT" --appendonly yes --appendfsync everysec || return 1
  [[ $(queued) == "$n" ]] || { log "FAIL: $(queued) of $n queued tasks left after the restart"; return 1; }
  log "all $n tasks still queued after the restart; starting the worker"
  supervisorctl_ start celery-worker >/dev/null
  delivered() { [[ $(queued) == 0 && $(find "$MAIL_DIR" -type f | wc -l) -ge 3 ]]; }
  wait_for "the worker to send the queued emails" 90 delivered || { log "FAIL: queue $(queued), mails $(find "$MAIL_DIR" -type f | wc -l)"; return 1; }
  printf '\nREDIS RESTART DRILL PASSED: %s queued tasks survived the restart and ran\n' "$n"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  stack_start
  drill_redis_restart
fi
