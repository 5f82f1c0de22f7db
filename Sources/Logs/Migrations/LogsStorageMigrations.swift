import ApusCore

/// The tables of the logs module's own database (a file of its own on SQLite): streams, found
/// by their labels, and the compressed chunks of their lines.
enum LogsStorageMigrations {
    static let all = [
        Migration(
            module: LogsModule.name, name: "0001_streams_and_chunks",
            sqlite: [
                """
                CREATE TABLE logs_streams (
                    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, labels TEXT NOT NULL, pairs TEXT NOT NULL,
                    created_at BIGINT NOT NULL, UNIQUE (tenant, labels)
                )
                """,
                """
                CREATE TABLE logs_chunks (
                    id INTEGER PRIMARY KEY, stream_id INTEGER NOT NULL REFERENCES logs_streams (id),
                    min_ts BIGINT NOT NULL, max_ts BIGINT NOT NULL, lines INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, data BLOB NOT NULL
                )
                """,
                "CREATE INDEX logs_chunks_stream_time ON logs_chunks (stream_id, max_ts)",
            ],
            postgres: [
                """
                CREATE TABLE logs_streams (
                    id BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, labels TEXT NOT NULL, pairs TEXT NOT NULL,
                    created_at BIGINT NOT NULL, UNIQUE (tenant, labels)
                )
                """,
                """
                CREATE TABLE logs_chunks (
                    id BIGSERIAL PRIMARY KEY, stream_id BIGINT NOT NULL REFERENCES logs_streams (id),
                    min_ts BIGINT NOT NULL, max_ts BIGINT NOT NULL, lines INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, data BYTEA NOT NULL
                )
                """,
                "CREATE INDEX logs_chunks_stream_time ON logs_chunks (stream_id, max_ts)",
            ]
        ),
        // Trace and request ids are metadata, never labels: each chunk's ids are listed here, so
        // one id finds its chunks without reading any other.
        Migration(
            module: LogsModule.name, name: "0002_chunk_keys",
            statements: [
                "CREATE TABLE logs_chunk_keys (key TEXT NOT NULL, chunk_id BIGINT NOT NULL, stream_id BIGINT NOT NULL)",
                "CREATE INDEX logs_chunk_keys_key ON logs_chunk_keys (key)",
                "CREATE INDEX logs_chunk_keys_chunk ON logs_chunk_keys (chunk_id)",
            ]
        ),
        // Alert rules, and the lines each has counted per bucket of its window.
        Migration(
            module: LogsModule.name, name: "0003_alerts",
            statements: [
                """
                CREATE TABLE logs_alerts (
                    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL, window_ns BIGINT NOT NULL,
                    threshold BIGINT NOT NULL, cooldown_ns BIGINT NOT NULL, created_at BIGINT NOT NULL, last_fired_at BIGINT,
                    UNIQUE (tenant, name)
                )
                """,
                "CREATE TABLE logs_alert_counts (alert_id TEXT NOT NULL, bucket BIGINT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (alert_id, bucket))",
            ]
        ),
        // On PostgreSQL the chunks move to a table partitioned by the day of their newest line,
        // so retention drops whole days (``DayPartitions``); a row whose day has no partition
        // yet lands in the default partition and moves when it is made. SQLite keeps one table.
        Migration(
            module: LogsModule.name, name: "0004_chunks_by_day",
            sqlite: [],
            postgres: [
                """
                CREATE TABLE logs_chunks_by_day (
                    id BIGINT NOT NULL, stream_id BIGINT NOT NULL REFERENCES logs_streams (id),
                    min_ts BIGINT NOT NULL, max_ts BIGINT NOT NULL, lines INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, data BYTEA NOT NULL,
                    PRIMARY KEY (id, max_ts)
                ) PARTITION BY RANGE (max_ts)
                """,
                "CREATE TABLE logs_chunks_default PARTITION OF logs_chunks_by_day DEFAULT",
                // The days already stored get their partitions here, so their rows go straight
                // in and no sweep moves them later under its locks (names as DayPartitions').
                """
                DO $$
                DECLARE d BIGINT;
                BEGIN
                    FOR d IN SELECT DISTINCT floor(max_ts / 86400000000000.0)::BIGINT FROM logs_chunks LOOP
                        EXECUTE format('CREATE TABLE %I PARTITION OF logs_chunks_by_day FOR VALUES FROM (%s) TO (%s)',
                            'logs_chunks_p' || to_char(to_timestamp(d * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD'), d * 86400000000000, (d + 1) * 86400000000000);
                    END LOOP;
                END $$
                """,
                "INSERT INTO logs_chunks_by_day SELECT id, stream_id, min_ts, max_ts, lines, raw_bytes, data FROM logs_chunks",
                "ALTER SEQUENCE logs_chunks_id_seq OWNED BY NONE",
                "DROP TABLE logs_chunks",
                "ALTER TABLE logs_chunks_by_day RENAME TO logs_chunks",
                "ALTER TABLE logs_chunks ALTER COLUMN id SET DEFAULT nextval('logs_chunks_id_seq')",
                "ALTER SEQUENCE logs_chunks_id_seq OWNED BY logs_chunks.id",
                "CREATE INDEX logs_chunks_stream_time ON logs_chunks (stream_id, max_ts)",
            ]
        ),
        // Each chunk's line 4-grams (``ApusKit/SubstringFilter``): a `|=` literal they rule out
        // skips the chunk unread. Chunks stored before have none and are always read.
        Migration(
            module: LogsModule.name, name: "0005_chunk_grams",
            sqlite: ["ALTER TABLE logs_chunks ADD COLUMN grams BLOB"],
            postgres: ["ALTER TABLE logs_chunks ADD COLUMN grams BYTEA"]
        ),
    ]
}
