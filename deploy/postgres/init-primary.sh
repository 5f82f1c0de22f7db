#!/usr/bin/env bash
# Runs once on the primary, when its data directory is first created (the official image runs
# /docker-entrypoint-initdb.d/*.sh): a role the replica streams WAL with, and a pg_hba.conf line
# that lets it connect for replication.
set -euo pipefail

: "${POSTGRES_USER:?}" "${POSTGRES_DB:?}" "${PGDATA:?}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD for the replication role}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL

echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
echo "init-primary: replication role and pg_hba.conf entry created"
