#!/usr/bin/env bash
# Drill: every socket drops at once, and comes back, under API load. On a
# `make serve` stack of its own (its own PostgreSQL and Redis, rate limits
# off), loadtest/seed.py registers MASS_USERS (1,000) users in groups
# of 10, opens a socket each and sends the phone mix at MASS_RATE (60/s: this
# machine holds 100/s within the targets with no storm and no headroom, so
# the storms' own cost shows at 60).
# Then, with --storm both: the client side shuts down every socket's TCP
# connection at once (a network blip, a restarted proxy) and each comes back
# as the web SDK does, jittered over 5 s and resuming from its last cursor
# (nginx lets 25 handshakes a second through, so they are back within 40 s);
# once all are back, every socket sends one last heartbeat and falls silent,
# and the server closes them all (4408) one presence TTL (MASS_TTL, 30 s)
# later, and they come back again. Passes when, before, during each storm's
# window (40 s from the first close), between and after, every target
# class's p95 is within its target, no request got a 5xx, every socket is
# back and no live event was lost (those written while a socket was down
# reach it through the resume). The report prints p95 per target class in
# each of those phases.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

MASS_USERS=${MASS_USERS:-1000}
MASS_RATE=${MASS_RATE:-60}
MASS_TTL=${MASS_TTL:-30}

# mass_stack_start: the stack of this drill (the other drills' has rate limits on), on a cluster of its own.
mass_stack_start() {
  # Heartbeats every 12 s against a 30 s TTL: the server's closes come 30 s after the silence, not 60.
  # MASS_SERVER_ENV: more VAR=value for the servers (e.g. REALTIME_HANDSHAKE_RATE=10), to compare settings.
  # make serve's own gunicorn worker count (docker/gunicorn.conf.py), not the other drills' two.
  # shellcheck disable=SC2086
  PG_DIR=$DRILL_DIR/pg-mass stack_start WEB_CONCURRENCY=$(($(nproc) * 2)) RATELIMIT_ENABLE=false \
    JWT_ACCESS_MINUTES=120 REALTIME_PRESENCE_TTL="$MASS_TTL" ${MASS_SERVER_ENV:-}
}

drill_mass_disconnect() {
  local report=$DRILL_DIR/mass_disconnect.json
  # Before 20 s; client storm, window 40 s; 10 s; silence, closes one TTL later, window 40 s; after 20 s.
  local duration=$((20 + 40 + 10 + MASS_TTL + 40 + 20 + 5))
  log "$MASS_USERS users with sockets, the phone mix at $MASS_RATE/s for $duration s, two storms"
  "$PY" "$ROOT/loadtest/seed.py" --target "http://127.0.0.1:$PORT" --users "$MASS_USERS" --rate "$MASS_RATE" \
    --duration "$duration" --handshakes 8 --setup-concurrency 8 --heartbeat 12 \
    --storm-at 20 --storm-window 40 --storm-gap 10 --storm-timeout $((MASS_TTL + 30)) --reconnect-spread 5 \
    --storm "${MASS_STORM:-both}" --grace 10 \
    --out "$report" || { log "FAIL: the mass disconnect drill missed (above)"; return 1; }
  printf '\nMASS DISCONNECT DRILL PASSED: %s sockets dropped twice (client side, then by the server) under %s/s, targets held, no 5xx, no live event lost\n' "$MASS_USERS" "$MASS_RATE"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  mass_stack_start
  drill_mass_disconnect
fi
