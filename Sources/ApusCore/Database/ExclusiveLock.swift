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
            // with `body`. Read committed, so it holds no snapshot between statements (vacuum is
            // not held back however long `body` runs), and never ended by the server's
            // idle-in-transaction timeout, which would drop the lock under `body`.
            return try await write { connection in
                try await connection.raw("BEGIN ISOLATION LEVEL READ COMMITTED").run()
                // The connection goes back to its pool: it must not stay inside the transaction,
                // even if this task is cancelled, so the end runs in a task of its own.
                let end: @Sendable () async -> Void = {
                    await Task {
                        do { try await connection.raw("COMMIT").run() } catch { try? await connection.raw("ROLLBACK").run() }
                    }.value
                }
                let taken: Bool
                do {
                    try await connection.raw("SET LOCAL idle_in_transaction_session_timeout = 0").run()
                    taken = try await connection.raw("""
                        SELECT pg_try_advisory_xact_lock(hashtext(\(bind: namespace)), hashtext(\(bind: name))) AS taken
                        """).first()?.decode(column: "taken", as: Bool.self) ?? false
                } catch {
                    await end()
                    throw error
                }
                guard taken else {
                    await end()
                    return nil
                }
                // What `body` did stands whether or not ending the lock's transaction works (a
                // dropped connection releases the lock all the same).
                do {
                    let result = try await body()
                    await end()
                    return result
                } catch {
                    await end()
                    throw error
                }
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
