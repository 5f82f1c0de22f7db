import ApusCore

/// The notification tables: notifications (also the in-app inbox), their delivery attempts,
/// templates, preferences and webhook endpoints.
///
/// The first version named them `notify_*`; `0002` renames them after the module
/// (`notifications_*`), keeping every row, and drops the foreign keys to Identity's users that
/// the first text of `0001` declared (it now leaves them out; installs that applied the first
/// text accept this one): a deleted user's data goes through `identity.user.deleted`.
enum NotificationsMigrations {
    static let all = [
        Migration(
            module: "notify",
            name: "0001_notifications",
            dependsOn: [MigrationID(module: "auth", name: "0001_identity"), MigrationID(module: "apus", name: "0002_jobs_and_events")],
            statements: [
                """
                CREATE TABLE notify_notifications (
                    id TEXT PRIMARY KEY,
                    sender_id TEXT,
                    channel TEXT NOT NULL,
                    recipient TEXT NOT NULL,
                    user_id TEXT,
                    category TEXT NOT NULL,
                    template TEXT,
                    subject TEXT,
                    body TEXT,
                    data TEXT NOT NULL,
                    event_type TEXT,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    job_id BIGINT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    delivered_at TEXT,
                    read_at TEXT
                )
                """,
                "CREATE INDEX notify_notifications_sender ON notify_notifications (sender_id, id)",
                "CREATE INDEX notify_notifications_status ON notify_notifications (status, id)",
                "CREATE INDEX notify_notifications_inbox ON notify_notifications (user_id, channel, read_at, id)",
                """
                CREATE TABLE notify_attempts (
                    notification_id TEXT NOT NULL REFERENCES notify_notifications (id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL,
                    at TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    response TEXT,
                    error TEXT,
                    PRIMARY KEY (notification_id, attempt)
                )
                """,
                """
                CREATE TABLE notify_templates (
                    name TEXT PRIMARY KEY,
                    subject TEXT NOT NULL,
                    text_body TEXT NOT NULL,
                    html_body TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE notify_preferences (
                    user_id TEXT NOT NULL,
                    category TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    enabled INTEGER NOT NULL,
                    PRIMARY KEY (user_id, category, channel)
                )
                """,
                """
                CREATE TABLE notify_endpoints (
                    id TEXT PRIMARY KEY,
                    owner_id TEXT NOT NULL,
                    url TEXT NOT NULL,
                    event_types TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    disabled_reason TEXT,
                    failing_since TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX notify_endpoints_owner ON notify_endpoints (owner_id, id)",
            ]
        ).rewritten(from: ["fc4476d541ba37cb3d9737b63db58e0785127bfc71b4f23f5d3eaff748a28f55"]),
        Migration(
            module: "notifications",
            name: "0002_module_named_tables",
            dependsOn: [MigrationID(module: "notify", name: "0001_notifications")],
            sqlite: [
                // SQLite renames the references of other tables (notify_attempts) along.
                "ALTER TABLE notify_notifications RENAME TO notifications_notifications",
                "ALTER TABLE notify_attempts RENAME TO notifications_attempts",
                "ALTER TABLE notify_templates RENAME TO notifications_templates",
                // SQLite cannot drop a constraint: these two are rebuilt without it.
                """
                CREATE TABLE notifications_preferences (
                    user_id TEXT NOT NULL,
                    category TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    enabled INTEGER NOT NULL,
                    PRIMARY KEY (user_id, category, channel)
                )
                """,
                "INSERT INTO notifications_preferences (user_id, category, channel, enabled) SELECT user_id, category, channel, enabled FROM notify_preferences",
                "DROP TABLE notify_preferences",
                """
                CREATE TABLE notifications_endpoints (
                    id TEXT PRIMARY KEY,
                    owner_id TEXT NOT NULL,
                    url TEXT NOT NULL,
                    event_types TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    disabled_reason TEXT,
                    failing_since TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                """
                INSERT INTO notifications_endpoints (id, owner_id, url, event_types, secret, disabled, disabled_reason, failing_since, created_at, updated_at)
                SELECT id, owner_id, url, event_types, secret, disabled, disabled_reason, failing_since, created_at, updated_at FROM notify_endpoints
                """,
                "DROP TABLE notify_endpoints",
                "CREATE INDEX notifications_endpoints_owner ON notifications_endpoints (owner_id, id)",
            ],
            postgres: [
                "ALTER TABLE notify_notifications RENAME TO notifications_notifications",
                "ALTER TABLE notify_attempts RENAME TO notifications_attempts",
                "ALTER TABLE notify_templates RENAME TO notifications_templates",
                "ALTER TABLE notify_preferences RENAME TO notifications_preferences",
                "ALTER TABLE notify_endpoints RENAME TO notifications_endpoints",
                "ALTER TABLE notifications_preferences DROP CONSTRAINT IF EXISTS notify_preferences_user_id_fkey",
                "ALTER TABLE notifications_endpoints DROP CONSTRAINT IF EXISTS notify_endpoints_owner_id_fkey",
            ]
        ),
        // Webhook fan-out looks endpoints up by pattern instead of scanning them all per event.
        Migration(
            module: "notifications",
            name: "0003_subscription_index",
            dependsOn: [MigrationID(module: "notifications", name: "0002_module_named_tables")],
            sqlite: [
                "CREATE TABLE notifications_subscriptions (pattern TEXT NOT NULL, endpoint_id TEXT NOT NULL, PRIMARY KEY (pattern, endpoint_id))",
                "CREATE INDEX notifications_subscriptions_endpoint ON notifications_subscriptions (endpoint_id)",
                """
                WITH RECURSIVE split (id, rest, pattern) AS (
                    SELECT id, event_types || ' ', '' FROM notifications_endpoints
                    UNION ALL
                    SELECT id, substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1) FROM split WHERE rest <> ''
                )
                INSERT INTO notifications_subscriptions (pattern, endpoint_id) SELECT DISTINCT pattern, id FROM split WHERE pattern <> ''
                """,
            ],
            postgres: [
                "CREATE TABLE notifications_subscriptions (pattern TEXT NOT NULL, endpoint_id TEXT NOT NULL, PRIMARY KEY (pattern, endpoint_id))",
                "CREATE INDEX notifications_subscriptions_endpoint ON notifications_subscriptions (endpoint_id)",
                """
                INSERT INTO notifications_subscriptions (pattern, endpoint_id)
                SELECT DISTINCT pattern, id FROM notifications_endpoints, unnest(string_to_array(event_types, ' ')) AS pattern WHERE pattern <> ''
                """,
            ]
        ),
        // Templates get an owner: only they or an admin may replace or delete one. Templates made
        // before have none and are left to admins.
        Migration(
            module: "notifications",
            name: "0004_template_owners",
            dependsOn: [MigrationID(module: "notifications", name: "0003_subscription_index")],
            statements: ["ALTER TABLE notifications_templates ADD COLUMN owner_id TEXT"]
        ),
    ]
}
