#!/usr/bin/env bash
# Restore drill (docs/operations.md "Backups"): pgBackRest point-in-time
# recovery and a pg_dump -Fc logical copy, on throwaway PostgreSQL clusters
# this script starts on free ports (never the shared server), with data
# written through the API. Prints the measured RPO and RTO; exits non-zero
# when a restored table differs.
#
#   scripts/drill_restore.sh        (ARCHIVE_TIMEOUT=10 USERS=8 to change the load)
source "$(dirname "$0")/drill_lib.sh"
command -v pgbackrest >/dev/null || { echo "needs pgbackrest (apt-get install pgbackrest)" >&2; exit 1; }
ARCHIVE_TIMEOUT=${ARCHIVE_TIMEOUT:-10}
USERS=${USERS:-8}
STANZA=drill
PRIMARY=$DRILL_DIR/primary
RESTORED=$DRILL_DIR/restored
REPO=$DRILL_DIR/repo
CONF=$DRILL_DIR/pgbackrest.conf
primary_port=$(free_port)
restored_port=$(free_port)

# The same repository settings as docker/pgbackrest/pgbackrest.conf, with
# the drill's paths.
as_pg mkdir -p "$REPO" "$DRILL_DIR/pgbr-log" "$DRILL_DIR/pgbr-lock" "$DRILL_DIR/pgbr-spool"
cat > "$CONF" <<CONF
[global]
repo1-path=$REPO
repo1-retention-full=2
repo1-retention-full-type=count
start-fast=y
compress-type=zst
log-path=$DRILL_DIR/pgbr-log
lock-path=$DRILL_DIR/pgbr-lock
spool-path=$DRILL_DIR/pgbr-spool
log-level-console=warn
log-level-file=detail
archive-async=y

[$STANZA]
pg1-path=$PRIMARY
pg1-port=$primary_port
pg1-socket-path=$DRILL_DIR
pg1-user=postgres
CONF
chmod 644 "$CONF"
pgbr() { as_pg pgbackrest --config="$CONF" --stanza="$STANZA" "$@"; }

# --- 1. The primary, archiving WAL, and data written through the API ------
log "primary cluster on :$primary_port"
pg_init "$PRIMARY"
pg_start "$PRIMARY" "$primary_port" -c wal_level=replica -c archive_mode=on \
  "-c archive_command='pgbackrest --config=$CONF --stanza=$STANZA archive-push %p'" -c archive_timeout="$ARCHIVE_TIMEOUT"
psql_at "$primary_port" postgres "CREATE DATABASE hucares"
pgbr stanza-create
pgbr check
export DATABASE_URL="postgres://postgres@127.0.0.1:$primary_port/hucares"
(cd "$ROOT" && DJANGO_SETTINGS_MODULE=hucares.settings.base SECRET_KEY=drill "$PY" manage.py migrate --noinput -v 0)
load() {
  log "writing through the API: $USERS users, a group, a check-in each ($1)"
  DJANGO_SETTINGS_MODULE=hucares.settings.base SECRET_KEY=drill-only-key-for-a-throwaway-cluster-0123456789abcdef \
    "$PY" "$ROOT/scripts/drill_load.py" "$1" "$USERS" >> "$DRILL_DIR/load.log" 2>&1 ||
    { tail -20 "$DRILL_DIR/load.log"; return 1; }
}
load before_full

# --- 2. Full backup, more writes, an incremental, more writes -------------
t0=$(now)
pgbr backup --type=full
log "full backup in $(elapsed "$t0" "$(now)") s"
load after_full
t0=$(now)
pgbr backup --type=incr
log "incremental backup in $(elapsed "$t0" "$(now)") s"
load after_incr

# --- 3. Note the time, with every table's checksum at that moment ---------
checksums() { # PORT DB: "table count md5" per table, rows in a fixed order
  local port=$1 db=$2 table
  for table in $(psql_at "$port" "$db" "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
    printf '%s %s\n' "$table" "$(psql_at "$port" "$db" \
      "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') FROM \"$table\" t")"
  done
}
target=$(psql_at "$primary_port" hucares "SELECT clock_timestamp()")
checksums "$primary_port" hucares > "$DRILL_DIR/at-target.txt"
log "target time $target ($(wc -l < "$DRILL_DIR/at-target.txt") tables)"

# --- 4. Writes after the target: the restore must not contain them -------
load after_target
last_commit=$(now)
lsn=$(psql_at "$primary_port" hucares "SELECT pg_current_wal_lsn()")
archived() { # the WAL segment holding LSN $1 is in the repository
  local segment
  segment=$(psql_at "$primary_port" hucares "SELECT pg_walfile_name('$1')")
  [[ "$(psql_at "$primary_port" hucares "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")" > "$segment" ]] ||
    [[ "$(psql_at "$primary_port" hucares "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")" == "$segment" ]]
}
wait_for "WAL archiving" $((ARCHIVE_TIMEOUT * 6 + 30)) archived "$lsn"
rpo=$(elapsed "$last_commit" "$(now)")
log "last write archived $rpo s after its commit (archive_timeout=${ARCHIVE_TIMEOUT}s)"

# --- 5. Lose the primary; restore to the target into a fresh cluster ------
pg_stop "$PRIMARY" immediate
t0=$(now)
as_pg mkdir -m 700 "$RESTORED"
pgbr restore --pg1-path="$RESTORED" --type=time "--target=$target" --target-action=promote
pg_start "$RESTORED" "$restored_port" -c archive_mode=off
promoted() { [[ $(psql_at "$restored_port" postgres "SELECT pg_is_in_recovery()") == f ]]; }
wait_for "recovery to finish" "${RECOVERY_TIMEOUT:-300}" promoted
rto=$(elapsed "$t0" "$(now)")
log "point-in-time restore serving after $rto s"

checksums "$restored_port" hucares > "$DRILL_DIR/restored.txt"
if ! diff -u "$DRILL_DIR/at-target.txt" "$DRILL_DIR/restored.txt"; then
  log "FAIL: the restored cluster differs from the primary at the target time"
  exit 1
fi
after=$(psql_at "$restored_port" hucares "SELECT count(*) FROM users WHERE username LIKE 'after\_target%'")
before=$(psql_at "$restored_port" hucares "SELECT count(*) FROM users WHERE username LIKE 'after\_incr%'")
[[ $before == "$USERS" ]] || { log "FAIL: $before of $USERS users written just before the target were restored"; exit 1; }
[[ $after == 0 ]] || { log "FAIL: $after rows written after the target were restored"; exit 1; }
log "every table equal at the target time; nothing written after it"

# --- 6. Logical copy: pg_dump -Fc and pg_restore into a new database ------
t0=$(now)
"$PG_BIN/pg_dump" -h 127.0.0.1 -p "$restored_port" -U postgres -Fc -f "$DRILL_DIR/hucares.dump" hucares
psql_at "$restored_port" postgres "CREATE DATABASE hucares_copy"
"$PG_BIN/pg_restore" -h 127.0.0.1 -p "$restored_port" -U postgres -d hucares_copy --no-owner --exit-on-error "$DRILL_DIR/hucares.dump"
logical=$(elapsed "$t0" "$(now)")
checksums "$restored_port" hucares_copy > "$DRILL_DIR/copy.txt"
diff -u "$DRILL_DIR/restored.txt" "$DRILL_DIR/copy.txt" || { log "FAIL: pg_restore copy differs"; exit 1; }
log "pg_dump -Fc / pg_restore copy equal ($(du -h "$DRILL_DIR/hucares.dump" | cut -f1)) in $logical s"

pgbr info | sed -n '1,12p'
printf '\nRESTORE DRILL PASSED\n'
printf '  RPO (measured): %s s from the last commit to its WAL in the repository (archive_timeout=%ss)\n' "$rpo" "$ARCHIVE_TIMEOUT"
printf '  RTO (measured): %s s from restore start to a promoted, serving cluster\n' "$rto"
printf '  logical dump + restore: %s s\n' "$logical"
