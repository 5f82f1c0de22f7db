public import SQLKit

/// A module's plain reads, outside any transaction: `platform.read { sql in … }`.
///
/// A value of its own, not a method of ``Platform``, so a hot path captures just this (one
/// reference) in an escaping closure instead of copying the whole platform.
public struct DatabaseReads: Sendable {
    @usableFromInline let database: any Database

    /// Runs `body` on a connection for reading. On SQLite it is one of the reader connections,
    /// which never wait for the writer; what `body` writes is not part of any transaction and
    /// may be refused where reads go to a replica.
    @inlinable
    public func callAsFunction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await database.read(body)
    }
}
