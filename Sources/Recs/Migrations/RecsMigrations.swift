import ApusCore

enum RecsMigrations {
    static let all = [
        Migration(
            module: RecsModule.name, name: "0001_recs",
            sqlite: [
                """
                CREATE TABLE recs_interactions (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
                    kind TEXT NOT NULL, weight DOUBLE PRECISION NOT NULL, at BIGINT NOT NULL
                )
                """,
            ] + shared,
            postgres: [
                """
                CREATE TABLE recs_interactions (
                    seq BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
                    kind TEXT NOT NULL, weight DOUBLE PRECISION NOT NULL, at BIGINT NOT NULL
                )
                """,
            ] + shared
        ),
        // The pipeline as steps: interactions extracted incrementally, in commit order, into
        // per-pair totals; each step's state and figures on its model.
        Migration(
            module: RecsModule.name, name: "0002_recs_pipeline",
            sqlite: pipeline,
            postgres: [
                "ALTER TABLE recs_interactions ADD COLUMN \(CommitOrder.postgresColumn)",
                "CREATE INDEX recs_interactions_commit ON recs_interactions (tx, seq)",
            ] + pipeline
        ),
    ]

    private static let pipeline = [
        """
        CREATE TABLE recs_pairs (
            user_id TEXT NOT NULL, item_id TEXT NOT NULL, weight DOUBLE PRECISION NOT NULL,
            decayed DOUBLE PRECISION NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (user_id, item_id)
        )
        """,
        """
        CREATE TABLE recs_extract (
            slot INTEGER PRIMARY KEY CHECK (slot = 1), position TEXT NOT NULL, half_life DOUBLE PRECISION,
            interactions BIGINT NOT NULL
        )
        """,
        "ALTER TABLE recs_models ADD COLUMN steps TEXT NOT NULL DEFAULT '[]'",
    ]

    private static let shared = [
        // The same event sent twice (a retried batch) is kept once.
        "CREATE UNIQUE INDEX recs_interactions_event ON recs_interactions (user_id, item_id, kind, at)",
        """
        CREATE TABLE recs_items (
            item_id TEXT PRIMARY KEY, category TEXT, tags TEXT NOT NULL DEFAULT '[]', created_at BIGINT
        )
        """,
        """
        CREATE TABLE recs_models (
            id TEXT PRIMARY KEY, model TEXT NOT NULL, status TEXT NOT NULL, parameters TEXT NOT NULL,
            evaluation TEXT, stats TEXT, error TEXT, created_at BIGINT NOT NULL, finished_at BIGINT, published_at BIGINT
        )
        """,
        // The one published model every node serves from.
        "CREATE TABLE recs_current (slot INTEGER PRIMARY KEY CHECK (slot = 1), model_id TEXT NOT NULL)",
        // Precomputed top-N lists: `u:<user>`, `i:<item>` (similar items) and `popular`.
        """
        CREATE TABLE recs_lists (
            model_id TEXT NOT NULL, subject TEXT NOT NULL, items TEXT NOT NULL, PRIMARY KEY (model_id, subject)
        )
        """,
        // What folding a user in needs: the item ids and factors of a factor model.
        "CREATE TABLE recs_factors (model_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    ]
}
