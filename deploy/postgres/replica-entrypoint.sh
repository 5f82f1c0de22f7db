#!/usr/bin/env bash
# The read replica's entrypoint. On its first start the data directory is empty: it clones the
# primary with pg_basebackup through a replication slot of its own (so the primary keeps the WAL
# it still needs) and writes standby.signal and primary_conninfo (--write-recovery-conf). Every
# start then runs PostgreSQL through the image's own entrypoint, as a hot standby.
set -euo pipefail

: "${PGDATA:?}" "${PRIMARY_HOST:?}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD for the replication role}"
slot=${REPLICATION_SLOT:-replica_1}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    echo "replica: waiting for the primary at $PRIMARY_HOST"
    until pg_isready --host="$PRIMARY_HOST" --port=5432 --quiet; do
        sleep 1
    done
    echo "replica: cloning the primary (slot $slot)"
    find "$PGDATA" -mindepth 1 -delete
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
        --host="$PRIMARY_HOST" --port=5432 --username=replicator \
        --pgdata="$PGDATA" --wal-method=stream --checkpoint=fast \
        --write-recovery-conf --create-slot --slot="$slot"
    chmod 0700 "$PGDATA"
fi

exec docker-entrypoint.sh postgres
