import Foundation
import SQLKit

/// API keys in `auth_api_keys`, stored as SHA-256 of the key.
public struct APIKeyStore: Sendable {
    let database: any Database
    /// Digests of keys the database did not know, for a minute: a flood of guessed keys costs
    /// one lookup each at most once a minute (and the failure limit bounds the flood).
    let unknown: BusInvalidatedCache<String, Bool>

    /// The clock keys expire on.
    let now: @Sendable () -> Date

    init(database: any Database, unknown: BusInvalidatedCache<String, Bool>, now: @escaping @Sendable () -> Date) {
        self.now = now
        self.database = database
        self.unknown = unknown
    }

    /// Whether `secret` has the shape of a key this server makes: `apus_` and 33 Base62 characters.
    static func isWellFormed(_ secret: String) -> Bool {
        let body = secret.utf8.dropFirst(5)
        return secret.utf8.count == 38 && secret.hasPrefix("apus_")
            && body.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    /// Creates a key for `userID`; returns it with its secret, which is never stored.
    func create(userID: String, name: String, scopes: [String], expiresAt: Date?) async throws -> (key: APIKey, secret: String) {
        let secret = "apus_" + OpaqueID.random(words: 3)
        let created = now()
        let key = APIKey(
            id: OpaqueID.make("key", at: created), name: name, prefix: String(secret.prefix(12)), scopes: Array(Set(scopes)).sorted(),
            expiresAt: expiresAt, lastUsedAt: nil, createdAt: created
        )
        try await database.write { connection in
            try await connection.raw("""
                INSERT INTO auth_api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at, created_at)
                VALUES (\(bind: key.id), \(bind: userID), \(bind: key.name), \(bind: key.prefix), \(bind: SessionStore.digest(secret)),
                        \(bind: key.scopes.joined(separator: ",")), \(bind: key.expiresAt.map(Timestamp.format)),
                        \(bind: Timestamp.format(key.createdAt)))
                """).run()
        }
        return (key, secret)
    }

    func list(userID: String) async throws -> [APIKey] {
        try await database.read { connection in
            try await connection.raw("""
                SELECT id, name, prefix, scopes, expires_at, last_used_at, created_at FROM auth_api_keys
                WHERE user_id = \(bind: userID) ORDER BY created_at, id
                """).all()
        }.map(Self.key(from:))
    }

    func delete(id: String, userID: String) async throws -> Bool {
        try await database.withTransaction { connection in
            let exists = try await connection.raw("SELECT id FROM auth_api_keys WHERE id = \(bind: id) AND user_id = \(bind: userID)").first() != nil
            if exists { try await connection.raw("DELETE FROM auth_api_keys WHERE id = \(bind: id)").run() }
            return exists
        }
    }

    /// The caller a key stands for, or `nil` if the key is unknown, expired, or its owner disabled.
    func principal(for secret: String) async throws -> Principal? {
        let now = self.now()
        guard Self.isWellFormed(secret) else { return nil }
        let digest = SessionStore.digest(secret)
        if case .missing? = unknown.cached(digest) { return nil }
        let found = try await database.read { connection in
            try await connection.raw("""
                SELECT k.id, k.user_id, k.scopes, k.expires_at, k.last_used_at, u.roles, u.disabled
                FROM auth_api_keys k JOIN auth_users u ON u.id = k.user_id
                WHERE k.key_hash = \(bind: digest)
                """).first()
        }
        guard let row = found else {
            // Remembered as unknown (never as known: a revoked key must stop at once).
            _ = try await unknown.load(digest) { nil }
            return nil
        }
        guard try row.decode(column: "disabled", as: Int.self) == 0 else { return nil }
        if let expiry = try row.decode(column: "expires_at", as: String?.self).flatMap(Timestamp.parse), expiry <= now { return nil }
        let id = try row.decode(column: "id", as: String.self)
        // Recording every use would put a write on every request; a minute's precision will do.
        let lastUsed = try row.decode(column: "last_used_at", as: String?.self).flatMap(Timestamp.parse)
        if lastUsed.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try await database.write { connection in
                try await connection.raw("UPDATE auth_api_keys SET last_used_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: id)").run()
            }
        }
        return Principal(
            userID: try row.decode(column: "user_id", as: String.self),
            roles: Set(UserStore.decode(try row.decode(column: "roles", as: String.self))),
            apiKeyID: id,
            scopes: Set(try row.decode(column: "scopes", as: String.self).split(separator: ",").map(String.init))
        )
    }

    static func key(from row: any SQLRow) throws -> APIKey {
        APIKey(
            id: try row.decode(column: "id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            prefix: try row.decode(column: "prefix", as: String.self),
            scopes: try row.decode(column: "scopes", as: String.self).split(separator: ",").map(String.init),
            expiresAt: try row.decode(column: "expires_at", as: String?.self).flatMap(Timestamp.parse),
            lastUsedAt: try row.decode(column: "last_used_at", as: String?.self).flatMap(Timestamp.parse),
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast
        )
    }
}
