#!/bin/sh
# Run once by the image's entrypoint when it creates the cluster: lets the
# streaming replica of compose's profile "replica" (docker/postgres/replica.sh)
# connect for replication as the application's owner, with its password.
set -eu
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
