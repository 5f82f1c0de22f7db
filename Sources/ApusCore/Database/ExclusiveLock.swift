import SQLKit
import Synchronization

extension Database {
    /// Runs `body` holding the lock `name` in `namespace`, one holder at a time across every node
    /// sharing the database, or returns `nil` at once when someone else holds it.
    ///
    /// On PostgreSQL it is a transaction advisory lock in a transaction kept open (idle, and
    /// holding no snapshot between statements) for the whole of `body`, so a node that dies or
    /// loses its connection releases it with the transaction, and a pooler in transaction mode
    /// (PgBouncer) keeps the lock and its connection together. On SQLite the
    /// database has a single node (the data directory is locked), and the lock lives in this
    /// process, which releases it when `body` ends or the process goes.
    public func withExclusiveLock<Result: Sendable>(
        _ namespace: String, _ name: String, _ body: @Sendable () async throws -> Result
    ) async throws -> Result? {
        switch engine {
        case .sqlite:
            let token = "\(namespace)\u{0}\(name)"
            guard ProcessLocks.shared.take(token) else { return nil }
            defer { ProcessLocks.shared.release(token) }
            return try await body()
        case .postgres:
            // `body` writes in transactions of its own; this one only holds the lock, and ends
            // (commit or rollback) with `body`.
            return try await withTransaction { connection in
                let taken = try await connection.raw("""
                    SELECT pg_try_advisory_xact_lock(hashtext(\(bind: namespace)), hashtext(\(bind: name))) AS taken
                    """).first()?.decode(column: "taken", as: Bool.self) ?? false
                guard taken else { return nil }
                return try await body()
            }
        }
    }
}

/// The locks of ``Database/withExclusiveLock(_:_:_:)`` on SQLite: held by this process only.
final class ProcessLocks: Sendable {
    static let shared = ProcessLocks()
    private let held = Mutex<Set<String>>([])

    func take(_ token: String) -> Bool {
        held.withLock { $0.insert(token).inserted }
    }

    func release(_ token: String) {
        _ = held.withLock { $0.remove(token) }
    }
}
