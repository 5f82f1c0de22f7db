import ApusCore

/// The notification tables: notifications (also the in-app inbox), their delivery attempts,
/// templates, preferences and webhook endpoints.
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
                    user_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
                    category TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    enabled INTEGER NOT NULL,
                    PRIMARY KEY (user_id, category, channel)
                )
                """,
                """
                CREATE TABLE notify_endpoints (
                    id TEXT PRIMARY KEY,
                    owner_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
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
        )
    ]
}
