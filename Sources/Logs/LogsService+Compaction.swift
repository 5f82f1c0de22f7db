import ApusCore
import Foundation

extension LogsService {
    /// Chunks below this many lines are merged with their stream's neighbours…
    static let smallChunkLines = 250
    /// …into chunks of about this many: larger chunks compress better and are fewer to find, but
    /// a query for the newest lines decodes the newest chunk of every stream it selects whole
    /// (4,000 lines made such a query 15 times slower on the bench than 1,000).
    static let compactedChunkLines = 1_000
    /// The most time one compacted chunk spans, in nanoseconds.
    static let compactedChunkSpan: Int64 = 3_600_000_000_000

    /// Merges each stream's small chunks (one per push when shippers send a line or a few at a
    /// time) whose lines are at least a minute old into chunks of about
    /// ``compactedChunkLines``; returns how many chunks it replaced and how many it made.
    func compact() async throws -> (replaced: Int, made: Int) {
        let settled = nowNanoseconds - 60_000_000_000
        let engine = storage.engine
        var replaced = 0
        var made = 0
        while true {
            let small = try await storage.read { sql in
                try await ChunkStore.small(fewerThan: Self.smallChunkLines, settledBefore: settled, limit: 10_000, on: sql)
            }
            // Runs of one stream's consecutive small chunks, each up to the target size and an
            // hour of time (so retention, which drops whole chunks, stays within an hour).
            var groups: [(stream: Int64, ids: [Int64])] = []
            var current: (stream: Int64, ids: [Int64], lines: Int, start: Int64)?
            for chunk in small {
                if let group = current, group.stream == chunk.streamID, group.lines + chunk.lines <= Self.compactedChunkLines,
                   chunk.maxTimestamp - group.start <= Self.compactedChunkSpan {
                    current = (group.stream, group.ids + [chunk.id], group.lines + chunk.lines, group.start)
                    continue
                }
                if let group = current, group.ids.count > 1 { groups.append((group.stream, group.ids)) }
                current = (chunk.streamID, [chunk.id], chunk.lines, chunk.minTimestamp)
            }
            if let group = current, group.ids.count > 1 { groups.append((group.stream, group.ids)) }
            for group in groups {
                // Read and compressed before the transaction: the write lock is held for the swap
                // alone, so pushes arriving meanwhile do not wait for the compressing.
                let chunks = try await storage.read { sql in try await ChunkStore.identified(ids: group.ids, on: sql) }
                guard chunks.count == group.ids.count else { continue }
                var entries: [LogEntry] = []
                for (_, chunk) in chunks { entries += try Chunk.decode(chunk.data, rawBytes: chunk.rawBytes) }
                guard let prepared = PreparedChunk(entries) else { continue }
                let merged = try await storage.transaction { sql in
                    try await ChunkStore.replace(chunks, stream: group.stream, with: prepared, engine: engine, on: sql)
                }
                if merged {
                    replaced += group.ids.count
                    made += 1
                }
            }
            // A full page may hide more behind it; a page that merged nothing never will.
            guard small.count == 10_000, !groups.isEmpty else { break }
        }
        if replaced > 0 { try await storage.releaseFreeSpace() }
        return (replaced, made)
    }
}
