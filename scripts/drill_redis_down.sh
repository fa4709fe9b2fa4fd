#!/usr/bin/env bash
# Fault drill: Redis (cache, rate limits, channel layer, broker) stops for
# REDIS_DOWN_SECONDS (20) under a light, steady load of signed-in reads and
# writes. Expected: no 5xx on reads or on writes that do not need Redis,
# every 201 stored in PostgreSQL, /api/v1/health "degraded" while Redis is
# down and "ok" after, and live sockets again once it is back. Own
# PostgreSQL and Redis.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

REDIS_DOWN_SECONDS=${REDIS_DOWN_SECONDS:-20}

drill_redis_down() {
  local token report stop t0 t_down t_up
  token=$(client register "$PORT" drill_redis_down) || return 1
  report=$DRILL_DIR/redis_down.json
  stop=$DRILL_DIR/redis_down.stop
  rm -f "$stop" "$report"
  client load "$PORT" "$token" "$stop" "$report" &
  local load_pid=$!
  health_is() { client get "$PORT" /api/v1/health | grep -q "\"status\":\"$1\""; }
  stream_cursor() { client get "$PORT" "/api/v1/events$1" "$token" | cut -d' ' -f3- | "$PY" -c 'import json, sys; d = json.load(sys.stdin)["data"]; print(d["cursor"], len(d["events"]))'; }
  sleep 3  # some load with Redis up first
  local cursor
  cursor=$(stream_cursor "" | cut -d' ' -f1) || return 1
  log "stopping Redis for $REDIS_DOWN_SECONDS s under load"
  t_down=$(now)
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  wait_for "Redis to stop" 20 test ! -e "$DRILL_DIR/redis-$REDIS_PORT.pid" || return 1
  wait_for "health to say degraded" 10 health_is degraded || { log "FAIL: health: $(client get "$PORT" /api/v1/health)"; return 1; }
  log "health is degraded $(elapsed "$t_down" "$(now)") s after the stop"
  sleep "$REDIS_DOWN_SECONDS"
  redis_start "$REDIS_PORT" --appendonly yes --appendfsync everysec || return 1
  t_up=$(now)
  wait_for "health to say ok" 30 health_is ok || { log "FAIL: health: $(client get "$PORT" /api/v1/health)"; return 1; }
  log "health is ok $(elapsed "$t_up" "$(now)") s after Redis came back"
  sleep 3  # some load with Redis back
  touch "$stop"
  wait "$load_pid" || { log "FAIL: the load client failed"; return 1; }
  t0=$(now)
  # As a client does: a socket refused (4503) while a server's channel layer reconnects is tried again.
  wait_for "a live socket" 30 client ws "$PORT" "$token" || { log "FAIL: no live socket after Redis came back"; return 1; }
  log "a socket connects again $(elapsed "$t0" "$(now)") s after the load stopped"
  # The events of the writes made meanwhile were kept in the stream: a client resumes from its cursor.
  local resumed
  resumed=$(stream_cursor "?since=$cursor" | cut -d' ' -f2) || return 1
  [[ $resumed -gt 0 ]] || { log "FAIL: no events after cursor $cursor"; return 1; }
  log "$resumed events resumed from the stream after cursor $cursor"
  "$PY" - "$report" "$PG_PORT" <<'PY' || return 1
import json, subprocess, sys
report = json.load(open(sys.argv[1]))
failures = []
for kind, counts in sorted(report["statuses"].items()):
    counts = {int(status): n for status, n in counts.items()}
    print(f"  {kind:24} " + ", ".join(f"{n} x {status or 'no answer'}" for status, n in sorted(counts.items())))
    bad = sum(n for status, n in counts.items() if status == 0 or status >= 500)
    if bad:
        failures.append(f"{bad} x 5xx or no answer on {kind}")
states = [state for _, state in report["health"]]
print(f"  health answers: {', '.join(f'{states.count(s)} x {s}' for s in sorted(set(states)))}")
for table, ids in (("groups", report["created"]["groups"]), ("check_ins", report["created"]["checkins"])):
    if not ids:
        failures.append(f"no {table} created")
        continue
    listed = ",".join(f"'{i}'" for i in ids)
    sql = f"SELECT count(*) FROM {table} WHERE id IN ({listed})"
    stored = int(subprocess.check_output(["psql", "-h", "127.0.0.1", "-p", sys.argv[2], "-U", "postgres", "-d", "hucares", "-XAtqc", sql]))
    print(f"  {table}: {len(ids)} answered 201, {stored} stored")
    if stored != len(ids):
        failures.append(f"{len(ids) - stored} {table} answered 201 but not stored")
if "degraded" not in states:
    failures.append("health never said degraded")
if failures:
    print("FAIL: " + "; ".join(failures))
    sys.exit(1)
PY
  printf '\nREDIS DOWN DRILL PASSED: %s s without Redis, no 5xx, every 201 stored, health degraded then ok\n' "$REDIS_DOWN_SECONDS"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  stack_start
  drill_redis_down
fi
