public import Foundation
import SQLKit

/// Stored first responses of idempotent requests, in `apus_idempotency_keys`, kept for a day.
public struct IdempotencyStore: Sendable {
    /// A response kept for replay.
    public struct StoredResponse: Sendable, Equatable {
        var status: Int
        var contentType: String?
        var location: String?
        var body: [UInt8]
    }

    /// What to do with a request that carries a key.
    enum Start: Sendable {
        /// First time: run it; `owner` proves the claim when completing.
        case started(owner: String)
        /// Already answered: send this again.
        case replay(StoredResponse)
        /// The first request with this key has not finished.
        case inProgress
        /// The key was used for a different request.
        case mismatch
    }

    private let database: any Database
    private let lifetime: TimeInterval
    /// How long an unfinished claim holds its key. A node that dies mid-request never completes
    /// nor abandons its claim; past this lease the key is free again (modules whose effects must
    /// not repeat, such as checkouts, also remember the key themselves).
    private let claimLease: TimeInterval
    private let now: @Sendable () -> Date

    /// The platform's table for idempotency keys.
    static let migration = Migration(
        module: "apus",
        name: "0001_idempotency_keys",
        statements: ["""
            CREATE TABLE apus_idempotency_keys (
                scope TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                owner TEXT NOT NULL,
                status INTEGER,
                content_type TEXT,
                location TEXT,
                body TEXT,
                expires_at TEXT NOT NULL,
                PRIMARY KEY (scope, idempotency_key)
            )
            """]
    )

    public init(
        database: any Database, lifetime: TimeInterval = 24 * 3600, claimLease: TimeInterval = 30,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.database = database
        self.now = now
        self.lifetime = lifetime
        self.claimLease = claimLease
    }

    func begin(scope: String, key: String, fingerprint: String) async throws -> Start {
        let owner = UUID().uuidString
        let started = self.now()
        let now = Timestamp.format(started)
        let expiresAt = Timestamp.format(started.addingTimeInterval(claimLease))
        return try await database.withTransaction { connection in
            // An expired claim is as good as none.
            try await connection.raw("""
                DELETE FROM apus_idempotency_keys
                WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key) AND expires_at < \(bind: now)
                """).run()
            try await connection.raw("""
                INSERT INTO apus_idempotency_keys (scope, idempotency_key, fingerprint, owner, expires_at)
                VALUES (\(bind: scope), \(bind: key), \(bind: fingerprint), \(bind: owner), \(bind: expiresAt))
                ON CONFLICT (scope, idempotency_key) DO NOTHING
                """).run()
            guard let row = try await connection.raw("""
                SELECT fingerprint, owner, status, content_type, location, body FROM apus_idempotency_keys
                WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key)
                """).first()
            else { return .inProgress }
            if try row.decode(column: "owner", as: String.self) == owner { return .started(owner: owner) }
            guard try row.decode(column: "fingerprint", as: String.self) == fingerprint else { return .mismatch }
            guard let status = try row.decode(column: "status", as: Int?.self) else { return .inProgress }
            let body = try row.decode(column: "body", as: String?.self).flatMap { Data(base64Encoded: $0) } ?? Data()
            return .replay(StoredResponse(
                status: status,
                contentType: try row.decode(column: "content_type", as: String?.self),
                location: try row.decode(column: "location", as: String?.self),
                body: Array(body)
            ))
        }
    }

    func complete(scope: String, key: String, owner: String, response: StoredResponse) async throws {
        try await database.write { connection in
            try await connection.raw("""
                UPDATE apus_idempotency_keys
                SET status = \(bind: response.status), content_type = \(bind: response.contentType),
                    expires_at = \(bind: Timestamp.format(self.now().addingTimeInterval(lifetime))),
                    location = \(bind: response.location), body = \(bind: Data(response.body).base64EncodedString())
                WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key) AND owner = \(bind: owner)
                """).run()
        }
    }

    /// Releases a claim whose request failed, so the client can retry with the same key.
    func abandon(scope: String, key: String, owner: String) async {
        _ = try? await database.write { connection in
            try await connection.raw("""
                DELETE FROM apus_idempotency_keys
                WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key) AND owner = \(bind: owner)
                """).run()
        }
    }
}
