import SQLKit

extension Transaction {
    /// Holds the lock named (`namespace`, `name`) until the transaction ends, waiting for a
    /// transaction that holds it (within `lock_timeout`): so two transactions that must see each
    /// other's writes, such as one adding a row that the other's commit would have to find, run
    /// one after the other. `pg_advisory_xact_lock` on PostgreSQL; on SQLite nothing is needed,
    /// since its write transactions already run one at a time.
    public func lock(_ namespace: String, _ name: String) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: namespace)), hashtext(\(bind: name)))").run()
    }
}
