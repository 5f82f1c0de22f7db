import ApusCore
import ApusKit
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

    /// The database did not return the id of a chunk it was given.
    struct Unconfirmed: Error {}

    /// Stores each prepared chunk in its stream, in one statement a few hundred at a time (a push
    /// brings one chunk per stream); their ids, in the order given. No stream may appear twice.
    static func insert(_ chunks: [(stream: Int64, chunk: PreparedChunk)], on sql: any SQLDatabase) async throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(chunks.count)
        for start in stride(from: 0, to: chunks.count, by: 400) {
            let batch = chunks[start..<min(chunks.count, start + 400)]
            let rows = SQLList(batch.map { stream, chunk in
                SQLGroupExpression([
                    SQLBind(stream), SQLBind(chunk.minTimestamp), SQLBind(chunk.maxTimestamp), SQLBind(chunk.lines), SQLBind(chunk.rawBytes), SQLBind(chunk.data),
                    SQLBind(chunk.grams),
                ])
            })
            // RETURNING's rows come in no promised order: each is matched to its chunk by stream.
            let returned = try await sql.raw("""
                INSERT INTO logs_chunks (stream_id, min_ts, max_ts, lines, raw_bytes, data, grams) VALUES \(rows) RETURNING id, stream_id
                """).all()
            var byStream: [Int64: Int64] = [:]
            for row in returned { byStream[try row.decode(column: "stream_id", as: Int64.self)] = try row.decode(column: "id", as: Int64.self) }
            ids += try batch.map { stream, _ in
                guard let id = byStream[stream] else { throw Unconfirmed() }
                return id
            }
        }
        let keys = zip(chunks, ids).flatMap { entry, id in entry.chunk.keys.map { (key: $0, chunk: id, stream: entry.stream) } }
        for start in stride(from: 0, to: keys.count, by: 1_000) {
            let rows = SQLList(keys[start..<min(keys.count, start + 1_000)].map { SQLGroupExpression([SQLBind($0.key), SQLBind($0.chunk), SQLBind($0.stream)]) })
            try await sql.raw("INSERT INTO logs_chunk_keys (key, chunk_id, stream_id) VALUES \(rows)").run()
        }
        return ids
    }

    /// The metadata whose values find chunks.
    static let keyFields = ["trace_id", "request_id"]

    /// The chunks holding a line whose metadata `field` is `value`, among `streams`.
    static func chunks(withKey field: String, _ value: String, of streams: [Int64], on sql: any SQLDatabase) async throws -> [Stored] {
        guard !streams.isEmpty else { return [] }
        let ids = SQLList(streams.map { SQLBind($0) })
        return try await sql.raw("""
            SELECT c.stream_id, c.min_ts, c.max_ts, c.raw_bytes, c.data FROM logs_chunks c
            WHERE c.id IN (SELECT chunk_id FROM logs_chunk_keys WHERE key = \(bind: "\(field):\(value)") AND stream_id IN (\(ids)))
            """).all().map(stored)
    }

    /// Where a chunk is and what times it covers, without its lines.
    struct Head: Sendable {
        let id: Int64
        let streamID: Int64
        let minTimestamp: Int64
        let maxTimestamp: Int64
    }

    /// A page of the heads of the chunks of `streams` that hold lines in `[start, end)`, newest
    /// first (by their newest line) or oldest first (by their oldest), after `last` (the final
    /// head of the page before), so a query that stops early reads only the heads it needs.
    static func heads(
        of streams: [Int64], from start: Int64, to end: Int64, newestFirst: Bool, after last: Head?, limit: Int, on sql: any SQLDatabase
    ) async throws -> [Head] {
        guard !streams.isEmpty else { return [] }
        let ids = SQLList(streams.map { SQLBind($0) })
        let order: SQLQueryString = newestFirst ? "max_ts DESC, id DESC" : "min_ts ASC, id ASC"
        var after: SQLQueryString = ""
        if let last {
            after = newestFirst
                ? "AND (max_ts < \(bind: last.maxTimestamp) OR (max_ts = \(bind: last.maxTimestamp) AND id < \(bind: last.id)))"
                : "AND (min_ts > \(bind: last.minTimestamp) OR (min_ts = \(bind: last.minTimestamp) AND id > \(bind: last.id)))"
        }
        return try await sql.raw("""
            SELECT id, stream_id, min_ts, max_ts FROM logs_chunks
            WHERE stream_id IN (\(ids)) AND max_ts >= \(bind: start) AND min_ts < \(bind: end) \(after) ORDER BY \(order) LIMIT \(bind: limit)
            """).all().map { row in
            Head(
                id: try row.decode(column: "id", as: Int64.self), streamID: try row.decode(column: "stream_id", as: Int64.self),
                minTimestamp: try row.decode(column: "min_ts", as: Int64.self), maxTimestamp: try row.decode(column: "max_ts", as: Int64.self)
            )
        }
    }

    /// The 4-gram bitmaps of these chunks, by id (chunks stored before them have none). Read
    /// apart from the heads: a page of heads is sorted, and the sort would carry every bitmap.
    static func grams(ids: [Int64], on sql: any SQLDatabase) async throws -> [Int64: SubstringFilter] {
        guard !ids.isEmpty else { return [:] }
        let list = SQLList(ids.map { SQLBind($0) })
        var grams: [Int64: SubstringFilter] = [:]
        for row in try await sql.raw("SELECT id, grams FROM logs_chunks WHERE id IN (\(list)) AND grams IS NOT NULL").all() {
            guard let filter = try row.decode(column: "grams", as: Data.self).withUnsafeBytes({ SubstringFilter(bytes: $0) }) else { continue }
            grams[try row.decode(column: "id", as: Int64.self)] = filter
        }
        return grams
    }

    /// The chunks with these ids.
    static func chunks(ids: [Int64], on sql: any SQLDatabase) async throws -> [Stored] {
        guard !ids.isEmpty else { return [] }
        let list = SQLList(ids.map { SQLBind($0) })
        return try await sql.raw("SELECT stream_id, min_ts, max_ts, raw_bytes, data FROM logs_chunks WHERE id IN (\(list))").all().map(stored)
    }

    /// The chunks of `streams` that hold lines in `[start, end)`.
    static func chunks(of streams: [Int64], from start: Int64, to end: Int64, on sql: any SQLDatabase) async throws -> [Stored] {
        guard !streams.isEmpty else { return [] }
        let ids = SQLList(streams.map { SQLBind($0) })
        return try await sql.raw("""
            SELECT stream_id, min_ts, max_ts, raw_bytes, data FROM logs_chunks
            WHERE stream_id IN (\(ids)) AND max_ts >= \(bind: start) AND min_ts < \(bind: end)
            """).all().map(stored)
    }

    /// The chunks with these ids, each with its id.
    static func identified(ids: [Int64], on sql: any SQLDatabase) async throws -> [(id: Int64, chunk: Stored)] {
        guard !ids.isEmpty else { return [] }
        let list = SQLList(ids.map { SQLBind($0) })
        return try await sql.raw("SELECT id, stream_id, min_ts, max_ts, raw_bytes, data FROM logs_chunks WHERE id IN (\(list)) ORDER BY id")
            .all().map { (try $0.decode(column: "id", as: Int64.self), try stored($0)) }
    }

    private static func stored(_ row: any SQLRow) throws -> Stored {
        Stored(
            streamID: try row.decode(column: "stream_id", as: Int64.self),
            minTimestamp: try row.decode(column: "min_ts", as: Int64.self),
            maxTimestamp: try row.decode(column: "max_ts", as: Int64.self),
            rawBytes: try row.decode(column: "raw_bytes", as: Int.self),
            data: try row.decode(column: "data", as: Data.self)
        )
    }

    /// Deletes the chunks of `streams` whose newest line is older than `cutoff`; returns how many.
    static func delete(of streams: [Int64], olderThan cutoff: Int64, on sql: any SQLDatabase) async throws -> Int {
        guard !streams.isEmpty else { return 0 }
        let ids = SQLList(streams.map { SQLBind($0) })
        let count = try await sql.raw("SELECT COUNT(*) AS n FROM logs_chunks WHERE stream_id IN (\(ids)) AND max_ts < \(bind: cutoff)").first()?.decode(column: "n", as: Int.self) ?? 0
        try await sql.raw("""
            DELETE FROM logs_chunk_keys WHERE chunk_id IN (SELECT id FROM logs_chunks WHERE stream_id IN (\(ids)) AND max_ts < \(bind: cutoff))
            """).run()
        try await sql.raw("DELETE FROM logs_chunks WHERE stream_id IN (\(ids)) AND max_ts < \(bind: cutoff)").run()
        return count
    }

    /// The ids and streams of the chunks of `streams` whose newest line is before `cutoff`, in
    /// id order after `after`, at most `limit`.
    static func expiring(of streams: [Int64], olderThan cutoff: Int64, after: Int64, limit: Int, on sql: any SQLDatabase) async throws -> [(id: Int64, stream: Int64)] {
        guard !streams.isEmpty else { return [] }
        let ids = SQLList(streams.map { SQLBind($0) })
        return try await sql.raw("""
            SELECT id, stream_id FROM logs_chunks WHERE stream_id IN (\(ids)) AND max_ts < \(bind: cutoff) AND id > \(bind: after) ORDER BY id LIMIT \(bind: limit)
            """)
            .all().map { (try $0.decode(column: "id", as: Int64.self), try $0.decode(column: "stream_id", as: Int64.self)) }
    }

    /// Removes these chunks and their keys.
    static func delete(ids: [Int64], on sql: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        let list = SQLList(ids.map { SQLBind($0) })
        try await sql.raw("DELETE FROM logs_chunk_keys WHERE chunk_id IN (\(list))").run()
        try await sql.raw("DELETE FROM logs_chunks WHERE id IN (\(list))").run()
    }

    /// A small chunk a compaction may merge.
    struct Small: Sendable {
        let id: Int64
        let streamID: Int64
        let lines: Int
        let minTimestamp: Int64
        let maxTimestamp: Int64
    }

    /// Chunks of fewer than `lines` lines whose newest line is older than `settled`, by stream
    /// and time: what one compaction round looks at (at most `limit`).
    static func small(fewerThan lines: Int, settledBefore settled: Int64, limit: Int, on sql: any SQLDatabase) async throws -> [Small] {
        try await sql.raw("""
            SELECT id, stream_id, lines, min_ts, max_ts FROM logs_chunks WHERE lines < \(bind: lines) AND max_ts < \(bind: settled)
            ORDER BY stream_id, min_ts, id LIMIT \(bind: limit)
            """).all().map { row in
            Small(
                id: try row.decode(column: "id", as: Int64.self), streamID: try row.decode(column: "stream_id", as: Int64.self),
                lines: try row.decode(column: "lines", as: Int.self),
                minTimestamp: try row.decode(column: "min_ts", as: Int64.self), maxTimestamp: try row.decode(column: "max_ts", as: Int64.self)
            )
        }
    }

    /// Replaces the chunks `read` of `stream` with `merged`, made beforehand from their lines
    /// (chunks never change, so what was read is what is replaced). Returns `false`, changing
    /// nothing, when some of them are gone (a retention sweep got there first) or are not what
    /// was read (SQLite gives a deleted highest id to the next row). On PostgreSQL the
    /// chunks are locked until the transaction ends, after the stream: every writer takes the
    /// stream before its chunks, as a push does, so a merge never holds chunks while it waits for
    /// a day partition's change (which takes both tables).
    static func replace(
        _ read: [(id: Int64, chunk: Stored)], stream: Int64, with merged: PreparedChunk, engine: DatabaseEngine, on sql: any SQLDatabase
    ) async throws -> Bool {
        let list = SQLList(read.map { SQLBind($0.id) })
        if engine == .postgres {
            guard try await sql.raw("SELECT id FROM logs_streams WHERE id = \(bind: stream) FOR KEY SHARE").first() != nil else { return false }
        }
        let lock: SQLQueryString = engine == .postgres ? "FOR UPDATE" : ""
        let present = try await sql.raw("SELECT id, stream_id, min_ts, max_ts, raw_bytes FROM logs_chunks WHERE id IN (\(list)) \(lock)").all().map { row in
            [try row.decode(column: "id", as: Int64.self), try row.decode(column: "stream_id", as: Int64.self), try row.decode(column: "min_ts", as: Int64.self),
             try row.decode(column: "max_ts", as: Int64.self), Int64(try row.decode(column: "raw_bytes", as: Int.self))]
        }
        let expected = read.map { [$0.id, $0.chunk.streamID, $0.chunk.minTimestamp, $0.chunk.maxTimestamp, Int64($0.chunk.rawBytes)] }
        guard Set(present) == Set(expected), present.count == expected.count else { return false }
        try await sql.raw("DELETE FROM logs_chunk_keys WHERE chunk_id IN (\(list))").run()
        try await sql.raw("DELETE FROM logs_chunks WHERE id IN (\(list))").run()
        _ = try await insert([(stream, merged)], on: sql)
        return true
    }
}
