public import SQLKit

/// A module's plain reads, outside any transaction: `platform.read { sql in … }`.
///
/// Where read replicas are configured (`APUS_DATABASE_REPLICA_URLS`), these reads may be
/// answered by a replica a little behind the primary (never older than what the client has
/// seen, when it sends `Apus-Consistency`). Reads whose answer decides a write, fills a cache, or
/// must see the newest state for another reason use ``primary(_:)``.
///
/// A value of its own, not a method of ``Platform``, so a hot path captures just this (two
/// references) in an escaping closure instead of copying the whole platform.
public struct DatabaseReads: Sendable {
    @usableFromInline let database: any Database
    @usableFromInline let replicas: ReadReplicas?

    package init(database: any Database, replicas: ReadReplicas? = nil) {
        self.database = database
        self.replicas = replicas
    }

    /// Runs `body` on a connection for reading: a healthy replica's where configured, else the
    /// primary's (on SQLite one of the reader connections, which never wait for the writer).
    /// What `body` writes is not part of any transaction and is refused on a replica.
    @inlinable
    public func callAsFunction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        guard let replicas else { return try await database.read(body) }
        return try await replicas.read(body)
    }

    /// Runs `body` on the primary: for reads that fill a node cache (a value read from a lagging
    /// replica would stay for the entry's whole life), decide a write, or recover a gap.
    @inlinable
    public func primary<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await database.read(body)
    }
}
