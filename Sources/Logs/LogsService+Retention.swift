import ApusCore
import ApusKit
import CompressNIO
import Foundation
import NIOCore

extension LogsService {
    /// What a retention sweep removed.
    struct Swept: Sendable, Equatable {
        var chunks = 0
        var streams = 0
    }

    /// Removes every chunk past its stream's retention (the first rule whose selector picks the
    /// stream, else the default), then the streams left empty. Nothing of them stays behind.
    /// On PostgreSQL the days past every stream's retention go whole, as partitions (after
    /// archiving, when that is on), and the partitions of the days pushes may write are made.
    func applyRetention() async throws -> Swept {
        let now = nowNanoseconds
        let rules = try settings.retentionRules.map { (try LineMatcher($0.selection), Self.nanoseconds($0.keep)) }
        let defaultKeep = Self.nanoseconds(settings.retention)
        let longest = rules.map(\.1).reduce(defaultKeep, max)
        var swept = Swept()
        if storage.engine == .postgres {
            try await storage.transaction { sql in try await DayPartitions.ensure(days: partitionDays(now: now, keep: longest), on: sql) }
            if archive == nil { swept.chunks += try await storage.transaction { sql in try await DayPartitions.drop(before: now - longest, on: sql) } }
        }
        let streams = try await storage.read { sql in try await StreamStore.all(on: sql) }
        var byCutoff: [Int64: [Int64]] = [:]
        for stream in streams {
            let keep = rules.first { $0.0.selects(stream.labels) }?.1 ?? defaultKeep
            byCutoff[now - keep, default: []].append(stream.id)
        }
        for (cutoff, ids) in byCutoff {
            for start in stride(from: 0, to: ids.count, by: 500) {
                let batch = Array(ids[start..<min(ids.count, start + 500)])
                if let archive {
                    swept.chunks += try await archiveAndDelete(of: batch, olderThan: cutoff, into: archive)
                } else {
                    swept.chunks += try await storage.transaction { sql in try await ChunkStore.delete(of: batch, olderThan: cutoff, on: sql) }
                }
            }
        }
        let engine = storage.engine
        if engine == .postgres, archive != nil {
            // Archived and deleted chunk by chunk above: the days left empty go.
            _ = try await storage.transaction { sql in try await DayPartitions.drop(before: now - longest, onlyEmpty: true, on: sql) }
        }
        swept.streams = try await storage.transaction { sql in try await StreamStore.deleteEmpty(engine: engine, on: sql) }
        if swept.chunks > 0 { try await storage.releaseFreeSpace() }
        return swept
    }
}

extension LogsService {
    /// The days whose partitions are made ahead: from the oldest a push accepts now, or the
    /// oldest a stream keeps (`keep`) if that is later, to a day past the newest a push accepts
    /// (at most a week ahead).
    /// Lines older than that wait in the default partition until retention removes them.
    func partitionDays(now: Int64, keep: Int64) -> ClosedRange<Int64> {
        let oldest = now - min(Self.nanoseconds(settings.rejectOlderThan), keep, 400 * DayPartitions.day)
        let newest = now + min(Self.nanoseconds(settings.rejectNewerThan), 7 * DayPartitions.day)
        return DayPartitions.day(of: oldest)...DayPartitions.day(of: newest) + 1
    }

    /// Archives the expiring chunks of `streams` to the object store, a gzip NDJSON object per
    /// chunk (`logs/archive/<tenant>/<stream>/<first>-<last>-<chunk>`, the times in
    /// nanoseconds), and deletes each once its object is written: a failed write leaves the
    /// chunk for the next sweep, and a sweep that dies after the write writes the same object
    /// again. Returns the chunks deleted.
    func archiveAndDelete(of streams: [Int64], olderThan cutoff: Int64, into archive: any ObjectStore) async throws -> Int {
        let records = ExportRecords()
        let known = try await storage.read { sql in try await StreamStore.allWithTenants(on: sql) }
        let byID = Dictionary(uniqueKeysWithValues: known.map { ($0.stream.id, $0) })
        var deleted = 0
        var after: Int64 = 0
        while true {
            let cursor = after
            let expiring = try await storage.read { sql in try await ChunkStore.expiring(of: streams, olderThan: cutoff, after: cursor, limit: 100, on: sql) }
            guard let last = expiring.last else { return deleted }
            // Past what this round has seen, so a chunk it cannot archive never holds it up.
            after = last.id
            for head in expiring {
                guard let (stream, tenant) = byID[head.stream],
                      let chunk = try await storage.read({ sql in try await ChunkStore.chunks(ids: [head.id], on: sql) }).first else { continue }
                var text = ""
                for entry in try Chunk.decode(chunk.data, rawBytes: chunk.rawBytes) {
                    text += try records.line(tenant: tenant, labels: stream.labels, entry: entry)
                    text += "\n"
                }
                var plain = ByteBuffer(string: text)
                let compressed = try plain.compress(with: .gzip())
                let path = "logs/archive/\(Self.keySegment(tenant))/\(stream.id)/\(chunk.minTimestamp)-\(chunk.maxTimestamp)-\(head.id)"
                guard let key = ObjectKey(path) else { throw ObjectKeyRefused(path: path) }
                let body = AsyncStream<ByteBuffer> { continuation in
                    continuation.yield(compressed)
                    continuation.finish()
                }
                _ = try await archive.put(key, body)
                try await storage.transaction { sql in try await ChunkStore.delete(ids: [head.id], on: sql) }
                deleted += 1
            }
        }
    }

    struct ObjectKeyRefused: Error { let path: String }

    /// A tenant as one segment of an object key: itself when it can be, else its bytes in hex.
    static func keySegment(_ tenant: String) -> String {
        let plain = (1...100).contains(tenant.utf8.count) && tenant.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
        return plain ? tenant : "x" + String(Array(tenant.utf8).hexEncoded.prefix(99))
    }
}
