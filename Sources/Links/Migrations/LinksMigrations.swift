import ApusCore

/// The short-link tables: links, a sequence for codes, the code permutation key, and clicks
/// (rolled up per minute: one row counts the clicks of one visitor with one referrer and agent).
///
/// Links never reference Identity's tables: a deleted user's links go through
/// `identity.user.deleted`. The first version of `0001` declared a foreign key to Identity's
/// users, which `0002` drops; `0001` now leaves it out (installs that applied the first text
/// accept this one), and `0002` also adds the `suspended` flag a disabled owner's links carry.
enum LinksMigrations {
    static let all = [
        Migration(
            module: "links",
            name: "0001_links",
            dependsOn: [MigrationID(module: "auth", name: "0001_identity")],
            statements: [
                """
                CREATE TABLE links_links (
                    code TEXT PRIMARY KEY,
                    url TEXT NOT NULL,
                    owner_id TEXT NOT NULL,
                    redirect INTEGER NOT NULL,
                    expires_at TEXT,
                    max_visits INTEGER,
                    visits INTEGER NOT NULL DEFAULT 0,
                    tags TEXT NOT NULL DEFAULT '',
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX links_links_owner ON links_links (owner_id, code)",
                "CREATE TABLE links_sequence (id INTEGER PRIMARY KEY, next_value BIGINT NOT NULL)",
                "INSERT INTO links_sequence (id, next_value) VALUES (1, 1)",
                "CREATE TABLE links_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                """
                CREATE TABLE links_clicks (
                    code TEXT NOT NULL,
                    clicked_at TEXT NOT NULL,
                    referrer_host TEXT,
                    browser TEXT NOT NULL,
                    os TEXT NOT NULL,
                    device TEXT NOT NULL,
                    is_bot INTEGER NOT NULL,
                    country TEXT,
                    visitor TEXT NOT NULL,
                    clicks INTEGER NOT NULL
                )
                """,
                "CREATE INDEX links_clicks_code_time ON links_clicks (code, clicked_at)",
            ]
        ).rewritten(from: ["742743231522fdecaa236c1592ed7b61097ac25a6d614fc09e65944062e93572"]),
        Migration(
            module: "links",
            name: "0002_owner_by_event",
            dependsOn: [MigrationID(module: "links", name: "0001_links")],
            sqlite: [
                // SQLite cannot drop a constraint: the table is rebuilt without it.
                """
                CREATE TABLE links_links_rebuilt (
                    code TEXT PRIMARY KEY,
                    url TEXT NOT NULL,
                    owner_id TEXT NOT NULL,
                    redirect INTEGER NOT NULL,
                    expires_at TEXT,
                    max_visits INTEGER,
                    visits INTEGER NOT NULL DEFAULT 0,
                    tags TEXT NOT NULL DEFAULT '',
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    suspended INTEGER NOT NULL DEFAULT 0
                )
                """,
                """
                INSERT INTO links_links_rebuilt (code, url, owner_id, redirect, expires_at, max_visits, visits, tags, created_at, updated_at)
                SELECT code, url, owner_id, redirect, expires_at, max_visits, visits, tags, created_at, updated_at FROM links_links
                """,
                "DROP TABLE links_links",
                "ALTER TABLE links_links_rebuilt RENAME TO links_links",
                "CREATE INDEX links_links_owner ON links_links (owner_id, code)",
            ],
            postgres: [
                "ALTER TABLE links_links DROP CONSTRAINT IF EXISTS links_links_owner_id_fkey",
                "ALTER TABLE links_links ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0",
            ]
        ),
    ]
}
