import ApusKit
import Crypto
public import Foundation
import SQLKit

/// Sessions and their single-use refresh tokens. A refresh token is stored only as its SHA-256;
/// using one retires it and issues the next, and presenting a retired one again revokes the
/// whole session, because either the client or a thief holds a copy.
public struct SessionStore: Sendable {
    let database: any Database
    let refreshLifetime: TimeInterval
    /// The clock sessions expire on.
    let now: @Sendable () -> Date

    public init(database: any Database, refreshLifetime: TimeInterval, now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.database = database
        self.refreshLifetime = refreshLifetime
    }

    /// What presenting a refresh token led to.
    enum Refresh: Sendable, Equatable {
        /// A new refresh token for the same session.
        case rotated(sessionID: String, userID: String, refreshToken: String)
        /// Unknown, expired, or the session is over.
        case invalid
        /// The token was already used: the session is now revoked.
        case reused(sessionID: String)
    }

    /// Starts a session; returns its id and first refresh token.
    func create(userID: String, userAgent: String?, client: ClientDigest? = nil) async throws -> (sessionID: String, refreshToken: String) {
        let now = self.now()
        let sessionID = OpaqueID.make("ses", at: now)
        let token = Self.newToken()
        try await database.withTransaction { connection in
            try await connection.raw("""
                INSERT INTO auth_sessions (id, user_id, user_agent, client_digest, created_at, last_used_at)
                VALUES (\(bind: sessionID), \(bind: userID), \(bind: userAgent.map { String($0.prefix(256)) }), \(bind: client?.value),
                        \(bind: Timestamp.format(now)), \(bind: Timestamp.format(now)))
                """).run()
            try await Self.insertToken(token, sessionID: sessionID, expiresAt: now.addingTimeInterval(refreshLifetime), on: connection)
        }
        return (sessionID, token)
    }

    /// Whether `client` opened a session of the account `email` since `since` (ended sessions
    /// count: the client proved it knew the password then).
    func hasSignedIn(email: String, from client: ClientDigest, since: Date) async throws -> Bool {
        try await database.read { connection in
            try await connection.raw("""
                SELECT 1 AS seen FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id
                WHERE u.email = \(bind: email) AND s.client_digest = \(bind: client.value) AND s.created_at >= \(bind: Timestamp.format(since))
                LIMIT 1
                """).first() != nil
        }
    }

    func refresh(_ token: String) async throws -> Refresh {
        let hash = Self.digest(token)
        let now = self.now()
        let next = Self.newToken()
        let lifetime = refreshLifetime
        return try await database.withTransaction { connection in
            guard let row = try await connection.raw("""
                SELECT t.session_id, t.expires_at, t.used_at, s.user_id, s.revoked_at, u.disabled
                FROM auth_refresh_tokens t
                JOIN auth_sessions s ON s.id = t.session_id
                JOIN auth_users u ON u.id = s.user_id
                WHERE t.token_hash = \(bind: hash)
                """).first()
            else { return .invalid }
            let sessionID = try row.decode(column: "session_id", as: String.self)
            if try row.decode(column: "revoked_at", as: String?.self) != nil || row.decode(column: "disabled", as: Int.self) != 0 {
                return .invalid
            }
            if try row.decode(column: "used_at", as: String?.self) != nil {
                try await Self.revoke(sessionID: sessionID, reason: "refresh token reuse", at: now, on: connection)
                return .reused(sessionID: sessionID)
            }
            guard let expiresAt = Timestamp.parse(try row.decode(column: "expires_at", as: String.self)), expiresAt > now else {
                return .invalid
            }
            // The condition on used_at makes a concurrent second use lose, and count as reuse.
            let claimed = try await connection.raw("""
                UPDATE auth_refresh_tokens SET used_at = \(bind: Timestamp.format(now))
                WHERE token_hash = \(bind: hash) AND used_at IS NULL
                RETURNING session_id
                """).first()
            guard claimed != nil else {
                try await Self.revoke(sessionID: sessionID, reason: "refresh token reuse", at: now, on: connection)
                return .reused(sessionID: sessionID)
            }
            try await Self.insertToken(next, sessionID: sessionID, expiresAt: now.addingTimeInterval(lifetime), on: connection)
            try await connection.raw("""
                UPDATE auth_sessions SET last_used_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: sessionID)
                """).run()
            return .rotated(sessionID: sessionID, userID: try row.decode(column: "user_id", as: String.self), refreshToken: next)
        }
    }

    /// Whether the session is live: not revoked, and its user not disabled.
    func isActive(sessionID: String) async throws -> Bool {
        try await database.read { connection in
            try await connection.raw("""
                SELECT s.revoked_at, u.disabled FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id
                WHERE s.id = \(bind: sessionID)
                """).first()
        }.map { try $0.decode(column: "revoked_at", as: String?.self) == nil && $0.decode(column: "disabled", as: Int.self) == 0 } ?? false
    }

    /// Revokes one session of `userID`; `false` if the user has no such live session.
    func revoke(sessionID: String, userID: String, reason: String) async throws -> Bool {
        let now = self.now()
        return try await database.withTransaction { connection in
            let live = try await connection.raw("""
                SELECT id FROM auth_sessions WHERE id = \(bind: sessionID) AND user_id = \(bind: userID) AND revoked_at IS NULL
                """).first() != nil
            if live { try await Self.revoke(sessionID: sessionID, reason: reason, at: now, on: connection) }
            return live
        }
    }

    /// Revokes every live session of `userID`; returns their ids.
    func revokeAll(userID: String, reason: String) async throws -> [String] {
        try await database.withTransaction { connection in
            try await Self.revokeAll(userID: userID, reason: reason, at: now(), on: connection)
        }
    }

    /// Revokes every live session of `userID` inside the caller's transaction; returns their ids.
    static func revokeAll(userID: String, reason: String, at now: Date, on connection: any SQLDatabase) async throws -> [String] {
        let rows = try await connection.raw("""
            SELECT id FROM auth_sessions WHERE user_id = \(bind: userID) AND revoked_at IS NULL
            """).all()
        let ids = try rows.map { try $0.decode(column: "id", as: String.self) }
        for id in ids { try await revoke(sessionID: id, reason: reason, at: now, on: connection) }
        return ids
    }

    /// The user's live sessions, newest first.
    func list(userID: String, current: String?) async throws -> [Session] {
        try await database.read { connection in
            try await connection.raw("""
                SELECT id, user_agent, created_at, last_used_at FROM auth_sessions
                WHERE user_id = \(bind: userID) AND revoked_at IS NULL ORDER BY created_at DESC, id
                """).all()
        }.map { row in
            let id = try row.decode(column: "id", as: String.self)
            return Session(
                id: id,
                userAgent: try row.decode(column: "user_agent", as: String?.self),
                createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast,
                lastUsedAt: Timestamp.parse(try row.decode(column: "last_used_at", as: String.self)) ?? .distantPast,
                current: id == current
            )
        }
    }

    private static func revoke(sessionID: String, reason: String, at now: Date, on connection: any SQLDatabase) async throws {
        try await connection.raw("""
            UPDATE auth_sessions SET revoked_at = \(bind: Timestamp.format(now)), revoked_reason = \(bind: reason)
            WHERE id = \(bind: sessionID) AND revoked_at IS NULL
            """).run()
        try await connection.raw("DELETE FROM auth_refresh_tokens WHERE session_id = \(bind: sessionID) AND used_at IS NULL").run()
    }

    private static func insertToken(_ token: String, sessionID: String, expiresAt: Date, on connection: any SQLDatabase) async throws {
        try await connection.raw("""
            INSERT INTO auth_refresh_tokens (token_hash, session_id, expires_at)
            VALUES (\(bind: digest(token)), \(bind: sessionID), \(bind: Timestamp.format(expiresAt)))
            """).run()
    }

    static func newToken() -> String { "rt_" + OpaqueID.random(words: 4) }

    static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexEncoded
    }
}
