import Foundation
import SQLKit

/// The day partitions of `logs_chunks` on PostgreSQL, by the time of each chunk's newest line
/// (UTC days, in nanoseconds). A day's partition is made ahead of its lines, or later with its
/// rows moved out of the default partition; a day past every stream's retention is dropped whole,
/// so retention does not delete its rows one by one. Every change holds one transaction-scoped
/// lock, so two nodes' sweeps take turns.
enum DayPartitions {
    static let day: Int64 = 86_400_000_000_000
    static let prefix = "logs_chunks_p"

    /// The day (since the epoch) of a time in nanoseconds.
    static func day(of nanoseconds: Int64) -> Int64 {
        nanoseconds >= 0 ? nanoseconds / day : (nanoseconds + 1) / day - 1
    }

    /// `logs_chunks_p20261204`: a day's partition.
    static func name(ofDay number: Int64) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(number) * 86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return prefix + String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The day a partition named by ``name(ofDay:)`` holds, or `nil` for any other table.
    static func day(ofPartition name: String) -> Int64? {
        guard name.hasPrefix(prefix), case let digits = name.dropFirst(prefix.count), digits.count == 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let year = Int(digits.prefix(4)), let month = Int(digits.dropFirst(4).prefix(2)), let dayOfMonth = Int(digits.suffix(2)),
              let date = calendar.date(from: DateComponents(year: year, month: month, day: dayOfMonth)) else { return nil }
        return Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Makes the partitions of `days` that do not exist yet, each with the rows of its day the
    /// default partition holds.
    static func ensure(days: ClosedRange<Int64>, on sql: any SQLDatabase) async throws {
        try await lock(sql)
        let existing = Set(try await partitions(on: sql).map(\.day))
        let missing = days.filter { !existing.contains($0) }
        guard !missing.isEmpty else { return }
        try await lockTables(sql)
        for number in missing {
            let name = name(ofDay: number)
            let (low, high) = (number * day, (number + 1) * day)
            try await sql.raw("CREATE TABLE \(ident: name) (LIKE logs_chunks INCLUDING DEFAULTS)").run()
            try await sql.raw("""
                WITH moved AS (
                    DELETE FROM logs_chunks_default WHERE max_ts >= \(bind: low) AND max_ts < \(bind: high)
                    RETURNING id, stream_id, min_ts, max_ts, lines, raw_bytes, data, grams
                )
                INSERT INTO \(ident: name) (id, stream_id, min_ts, max_ts, lines, raw_bytes, data, grams) SELECT * FROM moved
                """).run()
            // Bounds are literals in DDL (no parameters there); both are integers.
            try await sql.raw("ALTER TABLE logs_chunks ATTACH PARTITION \(ident: name) FOR VALUES FROM (\(unsafeRaw: String(low))) TO (\(unsafeRaw: String(high)))").run()
        }
    }

    /// Drops the partitions of days that end at or before `cutoff` (nanoseconds), with the keys
    /// of their chunks; returns how many chunks went. With `onlyEmpty`, a day still holding a
    /// chunk stays (one that arrived after an archiving pass, which the next pass archives).
    static func drop(before cutoff: Int64, onlyEmpty: Bool = false, on sql: any SQLDatabase) async throws -> Int {
        try await lock(sql)
        var past = try await partitions(on: sql).filter { ($0.day + 1) * day <= cutoff }
        if onlyEmpty {
            var empty: [(name: String, day: Int64)] = []
            for partition in past {
                if try await sql.raw("SELECT 1 AS one FROM \(ident: partition.name) LIMIT 1").first() == nil { empty.append(partition) }
            }
            past = empty
        }
        guard !past.isEmpty else { return 0 }
        try await lockTables(sql)
        var dropped = 0
        for partition in past {
            dropped += try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: partition.name)").first()?.decode(column: "n", as: Int.self) ?? 0
            try await sql.raw("DELETE FROM logs_chunk_keys WHERE chunk_id IN (SELECT id FROM \(ident: partition.name))").run()
            try await sql.raw("DROP TABLE \(ident: partition.name)").run()
        }
        return dropped
    }

    /// The day partitions there are, oldest first.
    static func partitions(on sql: any SQLDatabase) async throws -> [(name: String, day: Int64)] {
        try await sql.raw("""
            SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'logs_chunks'::regclass
            """).all()
            .compactMap { row in
                let name = try row.decode(column: "name", as: String.self)
                return day(ofPartition: name).map { (name, $0) }
            }
            .sorted { $0.day < $1.day }
    }

    private static func lock(_ sql: any SQLDatabase) async throws {
        try await sql.raw("SELECT pg_advisory_xact_lock(hashtext('logs_chunks partitions'))").run()
    }

    /// Before a partition is attached or dropped: pushes and queries wait the few milliseconds
    /// it takes. Taken whole and up front, in the order a push takes them (streams, then chunks),
    /// because attaching takes locks on both (the foreign key) and a push caught between an
    /// attach's steps would meet a default partition whose bounds changed under it.
    private static func lockTables(_ sql: any SQLDatabase) async throws {
        try await sql.raw("LOCK TABLE logs_streams, logs_chunks IN ACCESS EXCLUSIVE MODE").run()
    }
}
