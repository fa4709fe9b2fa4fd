#!/usr/bin/env bash
# Fault drill: PostgreSQL restarts under a warm `make serve`. Every pooled
# connection dies; the pool checks a connection before handing it out
# (CONN_HEALTH_CHECKS), so the first requests and socket handshakes after
# the restart succeed. Own PostgreSQL and Redis.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

drill_pg_restart() {
  token=$(client register "$PORT" drill_pg) || return 1
  # Warm every process's pool: enough requests and sockets to reach each worker.
  for _ in $(seq 1 10); do client get "$PORT" /api/v1/users/profile "$token" >/dev/null || return 1; done
  for _ in 1 2 3 4; do client ws "$PORT" "$token" || return 1; done

  log "restarting PostgreSQL"
  as_pg "$PG_BIN/pg_ctl" -D "$DRILL_DIR/pg" -m fast -w restart \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DRILL_DIR" >/dev/null
  failures=0
  for i in $(seq 1 12); do
    answer=$(client get "$PORT" /api/v1/users/profile "$token")
    [[ $answer == 200\ * ]] || { failures=$((failures + 1)); log "request $i after the restart: ${answer:0:120}"; }
  done
  for _ in 1 2 3 4; do client ws "$PORT" "$token" || { failures=$((failures + 1)); log "a socket handshake failed"; }; done
  ((failures == 0)) || { log "FAIL: $failures requests or handshakes failed after the restart"; return 1; }
  printf '\nPOSTGRES RESTART DRILL PASSED: the first 12 requests and 4 handshakes after the restart succeeded\n'
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  stack_start
  drill_pg_restart
fi
