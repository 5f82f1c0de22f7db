import SQLKit
import Synchronization

extension Database {
    /// Runs `body` holding the lock `name` in `namespace`, one holder at a time across every node
    /// sharing the database, or returns `nil` at once when someone else holds it.
    ///
    /// On PostgreSQL it is a session advisory lock on a connection kept for the whole of `body`,
    /// so a node that dies (or loses its connection) releases it with its session. On SQLite the
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
            return try await write { connection in
                let taken = try await connection.raw("""
                    SELECT pg_try_advisory_lock(hashtext(\(bind: namespace)), hashtext(\(bind: name))) AS taken
                    """).first()?.decode(column: "taken", as: Bool.self) ?? false
                guard taken else { return nil }
                let unlock: @Sendable () async -> Void = {
                    // Also when this task is cancelled: the connection goes back to the pool.
                    await Task {
                        _ = try? await connection.raw("SELECT pg_advisory_unlock(hashtext(\(bind: namespace)), hashtext(\(bind: name))) AS released").run()
                    }.value
                }
                do {
                    let result = try await body()
                    await unlock()
                    return result
                } catch {
                    await unlock()
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
