import ApusCore

/// The uploads table: one row per tus upload, holding everything a node needs to go on with it
/// (offset, length, metadata, the SHA-256 state, the object store's state of its bytes).
/// `0002` adds the flag an owner sets to serve a finished file to anyone; `0003` indexes the
/// final uploads still waiting for their parts, which the sweep visits; `0004` adds the offset a
/// deferred-length upload's chunk in flight may write up to, which counts against the quota.
enum UploadsMigrations {
    static let all = [
        Migration(
            module: "uploads",
            name: "0001_uploads",
            statements: [
                """
                CREATE TABLE uploads_uploads (
                    id TEXT PRIMARY KEY,
                    owner_id TEXT NOT NULL,
                    upload_length BIGINT,
                    upload_offset BIGINT NOT NULL DEFAULT 0,
                    metadata TEXT,
                    concat TEXT NOT NULL DEFAULT '',
                    parts TEXT,
                    object_key TEXT NOT NULL,
                    object_state TEXT NOT NULL DEFAULT '',
                    hash_state TEXT NOT NULL,
                    sha256 TEXT,
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    completed_at TEXT
                )
                """,
                "CREATE INDEX uploads_uploads_owner ON uploads_uploads (owner_id, id)",
                // The expiry sweep reads unfinished uploads by expiry.
                "CREATE INDEX uploads_uploads_unfinished_expiry ON uploads_uploads (expires_at) WHERE completed_at IS NULL",
            ]
        ),
        Migration(
            module: "uploads",
            name: "0002_public_files",
            statements: ["ALTER TABLE uploads_uploads ADD COLUMN is_public INTEGER NOT NULL DEFAULT 0"]
        ),
        Migration(
            module: "uploads",
            name: "0003_waiting_finals",
            statements: ["CREATE INDEX uploads_uploads_waiting_finals ON uploads_uploads (id) WHERE concat = 'final' AND completed_at IS NULL"]
        ),
        Migration(
            module: "uploads",
            name: "0004_quota_hold",
            statements: ["ALTER TABLE uploads_uploads ADD COLUMN quota_hold BIGINT NOT NULL DEFAULT 0"]
        ),
    ]
}
