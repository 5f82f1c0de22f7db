import ApusCore

/// The chat tables. Rooms keep their own message counter (`seq`): taking the next number locks
/// the room's row, so a room's messages commit in the order of their numbers, with no gap.
/// Nothing references Identity's tables; a deleted user's memberships go through
/// `identity.user.deleted`.
enum ChatMigrations {
    static let all = [
        Migration(
            module: "chat",
            name: "0001_chat",
            statements: [
                """
                CREATE TABLE chat_rooms (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    owner_id TEXT NOT NULL,
                    direct_key TEXT UNIQUE,
                    seq BIGINT NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX chat_rooms_kind ON chat_rooms (kind, id)",
                """
                CREATE TABLE chat_members (
                    room_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    role TEXT NOT NULL,
                    last_read_seq BIGINT NOT NULL DEFAULT 0,
                    joined_at TEXT NOT NULL,
                    PRIMARY KEY (room_id, user_id)
                )
                """,
                "CREATE INDEX chat_members_user ON chat_members (user_id, room_id)",
                """
                CREATE TABLE chat_bans (
                    room_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    banned_by TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (room_id, user_id)
                )
                """,
                """
                CREATE TABLE chat_messages (
                    id TEXT PRIMARY KEY,
                    room_id TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    sender_id TEXT NOT NULL,
                    text TEXT NOT NULL,
                    reply_to TEXT,
                    client_id TEXT,
                    created_at TEXT NOT NULL,
                    edited_at TEXT,
                    deleted_at TEXT
                )
                """,
                // History pages walk this index by sequence number.
                "CREATE UNIQUE INDEX chat_messages_room_seq ON chat_messages (room_id, seq)",
                "CREATE UNIQUE INDEX chat_messages_client ON chat_messages (room_id, sender_id, client_id)",
                """
                CREATE TABLE chat_message_versions (
                    message_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    replaced_at TEXT NOT NULL,
                    PRIMARY KEY (message_id, version)
                )
                """,
                """
                CREATE TABLE chat_reactions (
                    message_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    emoji TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (message_id, user_id)
                )
                """,
            ]
        ),
        // Who is in a room, per node: each node refreshes its rows' expiry on a heartbeat, so a
        // node that dies drops its users once the rows expire.
        Migration(
            module: "chat",
            name: "0002_presence",
            dependsOn: [MigrationID(module: "chat", name: "0001_chat")],
            statements: [
                """
                CREATE TABLE chat_presence (
                    room_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    node TEXT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    PRIMARY KEY (room_id, user_id, node)
                )
                """,
                "CREATE INDEX chat_presence_node ON chat_presence (node)",
                "CREATE INDEX chat_presence_expiry ON chat_presence (expires_at)",
            ]
        ),
    ]
}
