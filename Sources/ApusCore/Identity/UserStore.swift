public import Foundation
import SQLKit

/// Users in `auth_users`.
public struct UserStore: Sendable {
    let database: any Database
    /// The clock accounts are stamped with.
    let now: @Sendable () -> Date

    public init(database: any Database, now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.database = database
    }

    /// A user with the hash to check a password against.
    struct Credentials: Sendable {
        let user: User
        let passwordHash: String
    }

    /// Creates a user; throws a 409 problem when the email is taken.
    public func create(email: String, passwordHash: String, roles: [Role]) async throws -> User {
        let now = self.now()
        let user = User(id: OpaqueID.make("usr", at: now), email: email, roles: roles.sorted(), disabled: false, createdAt: now, updatedAt: now)
        do {
            try await database.withTransaction { connection in
                try await connection.raw("""
                    INSERT INTO auth_users (id, email, password_hash, roles, disabled, created_at, updated_at)
                    VALUES (\(bind: user.id), \(bind: email), \(bind: passwordHash), \(bind: Self.encode(user.roles)), 0,
                            \(bind: Timestamp.format(now)), \(bind: Timestamp.format(now)))
                    """).run()
            }
        } catch {
            // The unique index decides races between two registrations of one email.
            if try await find(email: email) != nil { throw Problem.conflict("An account with this email already exists.") }
            throw error
        }
        return user
    }

    func credentials(email: String) async throws -> Credentials? {
        try await database.read { connection in
            try await connection.raw("SELECT \(unsafeRaw: Self.columns), password_hash FROM auth_users WHERE email = \(bind: email)").first()
        }.map { Credentials(user: try Self.user(from: $0), passwordHash: try $0.decode(column: "password_hash", as: String.self)) }
    }

    public func find(email: String) async throws -> User? {
        try await database.read { connection in
            try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM auth_users WHERE email = \(bind: email)").first()
        }.map(Self.user(from:))
    }

    public func find(id: String) async throws -> User? {
        try await database.read { connection in
            try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM auth_users WHERE id = \(bind: id)").first()
        }.map(Self.user(from:))
    }

    /// A page of users in id order, after `cursor`.
    public func list(limit: Int, after cursor: String?) async throws -> [User] {
        try await database.read { connection in
            try await connection.raw("""
                SELECT \(unsafeRaw: Self.columns) FROM auth_users
                WHERE id > \(bind: cursor ?? "") ORDER BY id LIMIT \(bind: limit)
                """).all()
        }.map(Self.user(from:))
    }

    /// Changes roles and/or the disabled flag; returns the user before and after, or `nil` if absent.
    func update(id: String, roles: [Role]?, disabled: Bool?, on connection: any SQLDatabase) async throws -> (before: User, after: User)? {
        guard let before = try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM auth_users WHERE id = \(bind: id)").first().map(Self.user(from:))
        else { return nil }
        var user = before
        if let roles { user.roles = Array(Set(roles)).sorted() }
        if let disabled { user.disabled = disabled }
        user.updatedAt = now()
        try await connection.raw("""
            UPDATE auth_users SET roles = \(bind: Self.encode(user.roles)), disabled = \(bind: user.disabled ? 1 : 0),
                updated_at = \(bind: Timestamp.format(user.updatedAt))
            WHERE id = \(bind: id)
            """).run()
        return (before, user)
    }

    public func setPassword(id: String, passwordHash: String) async throws {
        try await database.write { connection in
            try await connection.raw("UPDATE auth_users SET password_hash = \(bind: passwordHash) WHERE id = \(bind: id)").run()
        }
    }

    /// The user `id`, read inside the caller's transaction.
    func find(id: String, on connection: any SQLDatabase) async throws -> User? {
        try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM auth_users WHERE id = \(bind: id)").first().map(Self.user(from:))
    }

    /// Whether an enabled admin other than `id` exists (a deployment never loses its last one).
    func anotherActiveAdmin(than id: String, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("""
            SELECT id FROM auth_users WHERE id <> \(bind: id) AND disabled = 0 AND (',' || roles || ',') LIKE '%,admin,%' LIMIT 1
            """).first() != nil
    }

    /// Deletes a user and, by cascade, their sessions and keys, inside the caller's transaction;
    /// `false` if absent.
    func delete(id: String, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("DELETE FROM auth_users WHERE id = \(bind: id) RETURNING id").first() != nil
    }

    static let columns = "id, email, roles, disabled, created_at, updated_at"

    static func user(from row: any SQLRow) throws -> User {
        User(
            id: try row.decode(column: "id", as: String.self),
            email: try row.decode(column: "email", as: String.self),
            roles: decode(try row.decode(column: "roles", as: String.self)),
            disabled: try row.decode(column: "disabled", as: Int.self) != 0,
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast,
            updatedAt: Timestamp.parse(try row.decode(column: "updated_at", as: String.self)) ?? .distantPast
        )
    }

    static func encode(_ roles: [Role]) -> String { roles.map(\.rawValue).joined(separator: ",") }

    static func decode(_ text: String) -> [Role] { text.split(separator: ",").compactMap { Role(rawValue: String($0)) } }
}
