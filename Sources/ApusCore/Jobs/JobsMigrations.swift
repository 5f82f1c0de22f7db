/// The platform's job queue and event outbox tables. Times are epoch milliseconds, so due and
/// lease checks compare integers on both engines.
enum JobsMigrations {
    static let all = [
        Migration(
            module: "apus",
            name: "0002_jobs_and_events",
            sqlite: [
                """
                CREATE TABLE apus_jobs (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
                    priority INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                    run_at BIGINT NOT NULL, idempotency_key TEXT, last_error TEXT,
                    leased_by TEXT, lease_until BIGINT, created_at BIGINT NOT NULL, finished_at BIGINT
                )
                """,
                """
                CREATE TABLE apus_events (
                    id INTEGER PRIMARY KEY, tx BIGINT NOT NULL DEFAULT 0,
                    type TEXT NOT NULL, aggregate TEXT NOT NULL, payload TEXT NOT NULL, occurred_at BIGINT NOT NULL
                )
                """,
            ] + shared,
            postgres: [
                """
                CREATE TABLE apus_jobs (
                    id BIGSERIAL PRIMARY KEY,
                    kind TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
                    priority INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                    run_at BIGINT NOT NULL, idempotency_key TEXT, last_error TEXT,
                    leased_by TEXT, lease_until BIGINT, created_at BIGINT NOT NULL, finished_at BIGINT
                )
                """,
                // `tx` orders events by the transaction that wrote them; the dispatcher reads only
                // below the oldest transaction still running, so a late commit is never skipped.
                """
                CREATE TABLE apus_events (
                    id BIGSERIAL PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
                    type TEXT NOT NULL, aggregate TEXT NOT NULL, payload TEXT NOT NULL, occurred_at BIGINT NOT NULL
                )
                """,
            ] + shared
        ),
        // Whose data an event carries, so a webhook endpoint gets only its owner's events (an
        // admin's gets all).
        Migration(
            module: "apus",
            name: "0003_event_owners",
            dependsOn: [MigrationID(module: "apus", name: "0002_jobs_and_events")],
            statements: ["ALTER TABLE apus_events ADD COLUMN owner_id TEXT"]
        ),
    ]

    private static let shared = [
        "CREATE INDEX apus_jobs_due ON apus_jobs (priority DESC, run_at, id) WHERE state = 'available'",
        "CREATE INDEX apus_jobs_leased ON apus_jobs (lease_until) WHERE state = 'running'",
        "CREATE INDEX apus_jobs_finished ON apus_jobs (finished_at) WHERE state = 'completed'",
        "CREATE INDEX apus_jobs_dead ON apus_jobs (kind, id) WHERE state = 'dead'",
        "CREATE UNIQUE INDEX apus_jobs_idempotency ON apus_jobs (idempotency_key)",
        """
        CREATE TABLE apus_job_errors (
            job_id BIGINT NOT NULL, attempt INTEGER NOT NULL, failed_at BIGINT NOT NULL, error TEXT NOT NULL,
            PRIMARY KEY (job_id, attempt)
        )
        """,
        "CREATE TABLE apus_job_schedules (name TEXT PRIMARY KEY, next_run_at BIGINT NOT NULL)",
        "CREATE INDEX apus_events_order ON apus_events (tx, id)",
        "CREATE TABLE apus_event_consumers (name TEXT PRIMARY KEY, position_tx TEXT NOT NULL, position_id BIGINT NOT NULL)",
        """
        CREATE TABLE apus_event_receipts (
            consumer TEXT NOT NULL, event_id BIGINT NOT NULL, processed_at BIGINT NOT NULL,
            PRIMARY KEY (consumer, event_id)
        )
        """,
    ]
}
