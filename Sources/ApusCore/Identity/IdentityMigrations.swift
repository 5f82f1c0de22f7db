/// The identity tables: users, sessions and their refresh tokens, signing keys, API keys.
enum IdentityMigrations {
    static let all = [
        Migration(module: "auth", name: "0001_identity", statements: [
            """
            CREATE TABLE auth_users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                roles TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE auth_sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
                user_agent TEXT,
                created_at TEXT NOT NULL,
                last_used_at TEXT NOT NULL,
                revoked_at TEXT,
                revoked_reason TEXT
            )
            """,
            "CREATE INDEX auth_sessions_user ON auth_sessions (user_id)",
            """
            CREATE TABLE auth_refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
                expires_at TEXT NOT NULL,
                used_at TEXT
            )
            """,
            "CREATE INDEX auth_refresh_tokens_session ON auth_refresh_tokens (session_id)",
            """
            CREATE TABLE auth_signing_keys (
                kid TEXT PRIMARY KEY,
                private_key TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE auth_api_keys (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                prefix TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                expires_at TEXT,
                last_used_at TEXT,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX auth_api_keys_user ON auth_api_keys (user_id)",
        ]),
        // Permissions carry their module's name now; keys keep the rights they were given.
        Migration(module: "auth", name: "0002_module_named_scopes", dependsOn: [MigrationID(module: "auth", name: "0001_identity")], statements: [
            "UPDATE auth_api_keys SET scopes = REPLACE(scopes, 'webhooks.manage', 'notifications.webhooks')",
        ]),
        // Which client opened a session (a digest of its address), so that a client that has
        // signed in before keeps its own login allowance while an account is under attack.
        Migration(module: "auth", name: "0003_session_clients", dependsOn: [MigrationID(module: "auth", name: "0002_module_named_scopes")], statements: [
            "ALTER TABLE auth_sessions ADD COLUMN client_digest TEXT",
        ]),
    ]
}
