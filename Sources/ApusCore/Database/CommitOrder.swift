public import SQLKit

/// Where an incremental reader of a table ("everything committed since my last run") goes on
/// from: the writing transaction and the row's sequence number of the last row it took.
public struct CommitPosition: Sendable, Codable, Equatable {
    /// The id of the transaction that wrote the row (`xid8` as text on PostgreSQL, `0` on SQLite).
    public var transaction: String
    /// The row's sequence number.
    public var sequence: Int64

    public init(transaction: String, sequence: Int64) {
        self.transaction = transaction
        self.sequence = sequence
    }

    /// Before every row.
    public static let start = CommitPosition(transaction: "0", sequence: 0)
}

/// Reading a table's rows in the order they were committed, without ever skipping one.
///
/// A sequence column alone is not that order on PostgreSQL: a transaction that took number 7
/// may commit after one that took 8, and a reader that took 8 and kept it as its position would
/// never see 7. There rows carry the id of the transaction that wrote them
/// (``postgresColumn``), and a read takes only rows of transactions older than every one still
/// running, ordered by (transaction, sequence). SQLite has one writer at a time, so its sequence
/// is already commit order. The event outbox is read the same way.
public enum CommitOrder {
    /// The column a table read in commit order needs on PostgreSQL, named `tx`.
    public static let postgresColumn = "tx xid8 NOT NULL DEFAULT pg_current_xact_id()"

    /// Up to `limit` rows of `table` (its `columns`, a select list) committed after `position`,
    /// oldest first, and the position after the last of them (`position` itself when none).
    /// `sequence` names the table's increasing integer key; it is selected as well.
    ///
    /// `table`, `columns` and `sequence` are written into the statement as they are: pass the
    /// module's own names, never a client's text.
    public static func rows(
        of table: String, columns: String, sequence: String, after position: CommitPosition, limit: Int, on sql: any SQLDatabase
    ) async throws -> (rows: [any SQLRow], next: CommitPosition) {
        let postgres = sql.dialect.name == "postgresql"
        let rows: [any SQLRow] =
            if postgres {
                // Ordered by the xid8 column itself: as text "1000" sorts before "999".
                try await sql.raw("""
                    SELECT \(unsafeRaw: columns), \(unsafeRaw: sequence) AS apus_commit_sequence, tx::text AS apus_commit_tx
                    FROM \(unsafeRaw: table)
                    WHERE (tx, \(unsafeRaw: sequence)) > (\(bind: position.transaction)::xid8, \(bind: position.sequence))
                      AND tx < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY tx, \(unsafeRaw: sequence) LIMIT \(bind: limit)
                    """).all()
            } else {
                try await sql.raw("""
                    SELECT \(unsafeRaw: columns), \(unsafeRaw: sequence) AS apus_commit_sequence, '0' AS apus_commit_tx
                    FROM \(unsafeRaw: table) WHERE \(unsafeRaw: sequence) > \(bind: position.sequence)
                    ORDER BY \(unsafeRaw: sequence) LIMIT \(bind: limit)
                    """).all()
            }
        guard let last = rows.last else { return (rows, position) }
        let next = CommitPosition(
            transaction: try last.decode(column: "apus_commit_tx", as: String.self),
            sequence: try last.decode(column: "apus_commit_sequence", as: Int64.self)
        )
        return (rows, next)
    }

    /// Waits until every transaction that had started when it was called has ended (at most
    /// `timeout`), so that reads after it see all rows committed before the call; `false` when
    /// one was still running at the timeout. Call it outside a transaction, before reading "what
    /// is new": without it a row written just before is held back by any transaction open in the
    /// cluster (ids are cluster-wide), another database's included, until the next read. Nothing
    /// to wait for on SQLite.
    public static func waitForEarlierTransactions(on sql: any SQLDatabase, timeout: Duration = .seconds(10)) async throws -> Bool {
        guard sql.dialect.name == "postgresql" else { return true }
        guard let horizon = try await sql.raw("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS horizon").first()?
            .decode(column: "horizon", as: String.self)
        else { return true }
        let deadline = ContinuousClock.now + timeout
        while true {
            let passed = try await sql.raw("""
                SELECT pg_snapshot_xmin(pg_current_snapshot()) >= \(bind: horizon)::xid8 AS passed
                """).first()?.decode(column: "passed", as: Bool.self) ?? true
            if passed { return true }
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
