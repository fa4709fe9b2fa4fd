#!/usr/bin/env bash
# Fault drill: the Celery worker is killed (-9) in the middle of sending an
# email, at the two points that matter, against a real SMTP conversation
# (scripts/drill_smtp_sink.py holds the sender there):
#   1. before the mail server accepted the message: it arrives once, sent
#      again by the outbox's dispatch within 2 minutes of the crash;
#   2. after it accepted, before the outbox recorded it (the unavoidable
#      window): a second copy within 2 minutes, with the same Message-ID.
# Own PostgreSQL and Redis.
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"

MAIL_LATEST_SECONDS=${MAIL_LATEST_SECONDS:-120}

# mails_to NAME: the files of the messages addressed to NAME@example.org.
mails_to() { grep -l "^To: $1@example.org" "$MAIL_DIR"/*.eml 2>/dev/null || true; }

# kill_worker_mid_send HOLD NAME: a sign-up's verification email, the sender
# held at HOLD by the sink and its worker killed there; prints the kill time.
kill_worker_mid_send() {
  local hold=$1 name=$2 pid
  rm -f "$MAIL_CONTROL/held"
  touch "$MAIL_CONTROL/$hold"
  client register "$PORT" "$name" >/dev/null || return 1
  wait_for "the sender to be held at $hold" 60 test -e "$MAIL_CONTROL/held" || return 1
  pid=$(program_pid celery-worker)
  # The worker and its pool processes (the sender is one of them), by id.
  kill -9 "$pid" $(pgrep -P "$pid") 2>/dev/null || true
  now
  rm -f "$MAIL_CONTROL/$hold" "$MAIL_CONTROL/held"
}

# arrives NAME COUNT T_KILL: wait until NAME has COUNT messages; fail past MAIL_LATEST_SECONDS.
arrives() {
  local name=$1 count=$2 t_kill=$3 took
  enough() { [[ $(mails_to "$name" | wc -l) -ge $count ]]; }
  wait_for "message $count to $name" $((MAIL_LATEST_SECONDS + 30)) enough || return 1
  took=$(elapsed "$t_kill" "$(now)")
  log "message $count to $name arrived $took s after the kill"
  "$PY" -c 'import sys; sys.exit(float(sys.argv[1]) > float(sys.argv[2]))' "$took" "$MAIL_LATEST_SECONDS" ||
    { log "FAIL: later than $MAIL_LATEST_SECONDS s"; return 1; }
}

drill_mail_crash() {
  local t_kill ids
  log "case 1: killed before the mail server accepted"
  t_kill=$(kill_worker_mid_send hold-data drill_mail_before) || return 1
  arrives drill_mail_before 1 "$t_kill" || return 1
  [[ $(mails_to drill_mail_before | wc -l) == 1 ]] || { log "FAIL: duplicated though never accepted"; return 1; }

  log "case 2: killed after the mail server accepted, before the outbox recorded it"
  t_kill=$(kill_worker_mid_send hold-quit drill_mail_after) || return 1
  arrives drill_mail_after 2 "$t_kill" || return 1
  ids=$(mails_to drill_mail_after | xargs grep -h '^Message-ID:' | sort -u | wc -l)
  [[ $ids == 1 ]] || { log "FAIL: the two copies carry $ids different Message-IDs"; return 1; }
  supervisorctl_ status celery-worker | grep -q RUNNING || { log "FAIL: the worker is not running again"; return 1; }
  printf '\nMAIL CRASH DRILL PASSED: never lost, at most %s s late, the one duplicate with the same Message-ID\n' "$MAIL_LATEST_SECONDS"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  stack_start
  drill_mail_crash
fi
