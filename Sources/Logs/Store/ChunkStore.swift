import Foundation
import SQLKit

/// The compressed chunks of streams' lines.
enum ChunkStore {
    struct Stored: Sendable {
        let streamID: Int64
        let minTimestamp: Int64
        let maxTimestamp: Int64
        let rawBytes: Int
        let data: Data
    }

    /// Stores `entries` of one stream as one chunk.
    static func insert(_ entries: [LogEntry], stream: Int64, on sql: any SQLDatabase) async throws {
        guard let first = entries.first else { return }
        let (low, high) = entries.reduce((first.timestamp, first.timestamp)) { (min($0.0, $1.timestamp), max($0.1, $1.timestamp)) }
        let (data, rawBytes) = Chunk.encode(entries)
        try await sql.raw("""
            INSERT INTO logs_chunks (stream_id, min_ts, max_ts, lines, raw_bytes, data)
            VALUES (\(bind: stream), \(bind: low), \(bind: high), \(bind: entries.count), \(bind: rawBytes), \(bind: data))
            """).run()
    }

    /// The chunks of `streams` that hold lines in `[start, end)`.
    static func chunks(of streams: [Int64], from start: Int64, to end: Int64, on sql: any SQLDatabase) async throws -> [Stored] {
        guard !streams.isEmpty else { return [] }
        let ids = SQLList(streams.map { SQLBind($0) })
        return try await sql.raw("""
            SELECT stream_id, min_ts, max_ts, raw_bytes, data FROM logs_chunks
            WHERE stream_id IN (\(ids)) AND max_ts >= \(bind: start) AND min_ts < \(bind: end)
            """).all().map { row in
            Stored(
                streamID: try row.decode(column: "stream_id", as: Int64.self),
                minTimestamp: try row.decode(column: "min_ts", as: Int64.self),
                maxTimestamp: try row.decode(column: "max_ts", as: Int64.self),
                rawBytes: try row.decode(column: "raw_bytes", as: Int.self),
                data: try row.decode(column: "data", as: Data.self)
            )
        }
    }

    /// Deletes the chunks of `streams` whose newest line is older than `cutoff`; returns how many.
    static func delete(of streams: [Int64], olderThan cutoff: Int64, on sql: any SQLDatabase) async throws -> Int {
        guard !streams.isEmpty else { return 0 }
        let ids = SQLList(streams.map { SQLBind($0) })
        let count = try await sql.raw("SELECT COUNT(*) AS n FROM logs_chunks WHERE stream_id IN (\(ids)) AND max_ts < \(bind: cutoff)").first()?.decode(column: "n", as: Int.self) ?? 0
        try await sql.raw("DELETE FROM logs_chunks WHERE stream_id IN (\(ids)) AND max_ts < \(bind: cutoff)").run()
        return count
    }
}
