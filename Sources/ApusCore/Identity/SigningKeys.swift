import ApusKit
import Crypto
public import Foundation
import JWTKit
public import Logging
import SQLKit

/// The Ed25519 keys that sign access tokens, shared by every node through `auth_signing_keys`.
/// The newest key signs; every kept key verifies, so tokens signed before a rotation stay valid
/// until they expire. Keys are published as a JWKS so any JWT library can verify tokens.
public actor SigningKeys {
    private let database: any Database
    private let logger: Logger
    /// The platform's clock, which access tokens expire on.
    nonisolated let now: @Sendable () -> Date
    private var collection = JWTKeyCollection()
    private var currentKid: String?
    private var publicKeys: [(kid: String, x: String)] = []
    private var lastReload: ContinuousClock.Instant?
    private var loading: Task<Void, any Error>?
    /// Tokens already verified, so a client's repeated requests pay for one signature check.
    nonisolated let verified = VerifiedTokens()

    /// The bus channel on which a rotation is announced.
    public static let channel = "apus.signing-keys"

    public init(database: any Database, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.database = database
        self.logger = logger
    }

    /// Loads the keys, creating the first if there is none. Calls that overlap share one load,
    /// so requests racing at start-up cannot each create a "first" key.
    public func load() async throws {
        if let loading { return try await loading.value }
        let task = Task { try await self.reload() }
        loading = task
        defer { loading = nil }
        try await task.value
    }

    private func reload() async throws {
        var rows = try await Self.rows(database)
        if rows.isEmpty {
            try await Self.insertNewKey(database, onlyIfNone: true)
            rows = try await Self.rows(database)
        }
        let collection = JWTKeyCollection()
        var publicKeys: [(kid: String, x: String)] = []
        for row in rows {
            guard let raw = Data(base64Encoded: row.privateKey),
                  let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            else {
                logger.error("skipping an unreadable signing key", metadata: ["kid": "\(row.kid)"])
                continue
            }
            await collection.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: row.kid))
            publicKeys.append((row.kid, key.publicKey.rawRepresentation.base64URLEncoded))
        }
        self.collection = collection
        self.publicKeys = publicKeys
        // A key may have gone: only tokens of the keys kept stay trusted.
        self.verified.forgetAll()
        self.currentKid = rows.last?.kid
    }

    /// Reloads whenever a rotation is announced (or announcements may have been missed).
    func follow(_ messages: AsyncStream<ClusterMessage>) async {
        for await _ in messages {
            do { try await load() } catch { logger.error("cannot reload signing keys", metadata: ["error": "\(error)"]) }
        }
    }

    /// Adds a new signing key (it signs from the next load on) and forgets keys whose successor
    /// has signed for longer than `retention`, since every token they signed has expired.
    public static func rotate(database: any Database, retention: TimeInterval) async throws -> String {
        let kid = try await insertNewKey(database)
        let rows = try await rows(database)
        let cutoff = Date().addingTimeInterval(-retention)
        // A key may go once the key after it was created before the cutoff.
        let removable = zip(rows, rows.dropFirst()).filter { _, successor in successor.createdAt < cutoff }.map(\.0.kid)
        try await database.write { connection in
            for kid in removable {
                try await connection.raw("DELETE FROM auth_signing_keys WHERE kid = \(bind: kid)").run()
            }
        }
        return kid
    }

    func sign(_ claims: AccessClaims) async throws -> String {
        if currentKid == nil { try await load() }
        return try await collection.sign(claims, kid: currentKid.map { JWKIdentifier(string: $0) })
    }

    /// Verifies `token`: from the cache without entering the actor when it was seen before.
    nonisolated func verify(_ token: String) async throws -> VerifiedToken {
        if let known = verified.token(token, now: now()) { return known }
        let claims = try await verifySignature(token)
        // Expiry is read on the platform's clock here, not by the JWT library on the wall clock.
        guard claims.exp.value > now() else { throw JWTError.claimVerificationFailure(failedClaim: claims.exp, reason: "expired") }
        let checked = VerifiedToken(claims)
        verified.remember(token, checked)
        return checked
    }

    private func verifySignature(_ token: String) async throws -> AccessClaims {
        if currentKid == nil { try await load() }
        do {
            return try await collection.verify(token, as: AccessClaims.self)
        } catch let error as JWTError where error.errorType == .unknownKID {
            // Another node may have rotated: look again, but not more than once in a while, so
            // tokens with made-up key ids cannot turn into a database read each.
            let now = ContinuousClock.now
            guard lastReload.map({ now - $0 > .seconds(5) }) ?? true else { throw error }
            lastReload = now
            try await load()
            return try await collection.verify(token, as: AccessClaims.self)
        }
    }

    /// The public keys as a JSON Web Key Set.
    public func jwks() async throws -> JSONValue {
        if currentKid == nil { try await load() }
        return ["keys": .array(publicKeys.map { key in
            ["kty": "OKP", "crv": "Ed25519", "x": .string(key.x), "kid": .string(key.kid), "alg": "EdDSA", "use": "sig"]
        })]
    }

    private struct Row: Sendable {
        let kid: String
        let privateKey: String
        let createdAt: Date
    }

    private static func rows(_ database: any Database) async throws -> [Row] {
        try await database.read { connection in
            try await connection.raw("SELECT kid, private_key, created_at FROM auth_signing_keys ORDER BY created_at, kid").all()
        }.map {
            Row(
                kid: try $0.decode(column: "kid", as: String.self),
                privateKey: try $0.decode(column: "private_key", as: String.self),
                createdAt: Timestamp.parse(try $0.decode(column: "created_at", as: String.self)) ?? .distantPast
            )
        }
    }

    /// Adds a signing key and returns its id. `onlyIfNone` adds it only when there is no key yet:
    /// nodes starting together would otherwise each sign with a key the others have not loaded.
    @discardableResult
    private static func insertNewKey(_ database: any Database, onlyIfNone: Bool = false) async throws -> String {
        let key = Curve25519.Signing.PrivateKey()
        let kid = OpaqueID.make("key", at: Date())
        let condition: SQLQueryString = onlyIfNone ? " WHERE NOT EXISTS (SELECT 1 FROM auth_signing_keys)" : ""
        try await database.withTransaction { connection in
            // On SQLite the write transaction itself serialises the nodes.
            if onlyIfNone, database.engine == .postgres {
                try await connection.raw("SELECT pg_advisory_xact_lock(hashtext('apus.signing-keys'))").run()
            }
            try await connection.raw("""
                INSERT INTO auth_signing_keys (kid, private_key, created_at)
                SELECT \(bind: kid), \(bind: key.rawRepresentation.base64EncodedString()), \(bind: Timestamp.format(Date()))\(condition)
                """).run()
        }
        return kid
    }
}
