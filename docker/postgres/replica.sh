#!/bin/sh
# A hot standby of the primary (compose's profile "replica"). On its first
# start (an empty data directory) it copies the primary with pg_basebackup
# over the replication protocol: -R writes standby.signal and the
# primary_conninfo, and the physical replication slot (-C -S) makes the
# primary keep every WAL segment the replica has not received yet, so a
# replica that was down catches up instead of needing a new copy.
set -eu
: "${PRIMARY_HOST:=postgres}" "${PRIMARY_PORT:=5432}" "${PRIMARY_USER:=hucares}" "${REPLICATION_SLOT:=hucares_replica}"
export PGPASSWORD="${PRIMARY_PASSWORD:-${PGPASSWORD:-}}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # A slot left by an earlier copy of this replica would make -C fail.
  psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -d postgres -Atq -c \
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$REPLICATION_SLOT' AND NOT active"
  pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -D "$PGDATA" \
    -X stream -R -C -S "$REPLICATION_SLOT"
  chmod 700 "$PGDATA"
fi
# hot_standby_feedback: the primary's vacuum keeps the rows a long read on
# the replica still needs, instead of cancelling that read.
exec postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on "$@"
