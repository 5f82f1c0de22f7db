import ApusCore
import ApusKit
import CompressNIO
import Foundation
import Logging
import NIOCore

/// Stores and reads log lines in the module's own database, tenant by tenant.
struct LogsService: Sendable {
    let storage: ModuleDatabase
    let settings: LogsSettings
    let now: @Sendable () -> Date
    /// Where stored chunks are announced for live tails (none in tests that need no tail).
    var tailFeed: LogTailFeed? = nil
    /// The alerts whose counts each push adds to (none in tests that need no alerts).
    var alerts: LogAlerts? = nil
    /// Where retention archives what it drops, when `APUS_LOGS_RETENTION_EXPORT` is on.
    var archive: (any ObjectStore)? = nil

    /// What a push stored and what it refused.
    struct PushOutcome: Sendable {
        var stored = 0
        var refusals: [String] = []
        /// The streams refused whole (past the tenant's stream limit).
        var refusedStreams: Set<LabelSet> = []
        /// The chunks stored.
        var chunks: [Int64] = []
    }

    /// The current time in nanoseconds since the epoch.
    var nowNanoseconds: Int64 { Int64(now().timeIntervalSince1970 * 1_000_000_000) }

    /// The limits entries arriving now are held to.
    var pushLimits: LokiPush.Limits {
        let now = nowNanoseconds
        return LokiPush.Limits(
            maxLineBytes: settings.maxLineBytes, maxLabels: settings.maxLabels,
            oldest: now - Self.nanoseconds(settings.rejectOlderThan), newest: now + Self.nanoseconds(settings.rejectNewerThan)
        )
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    /// Stores each stream's entries as one chunk, all in one transaction: what is acknowledged is
    /// on disk. A stream past the tenant's stream limit is refused, the others kept.
    func store(_ streams: [(labels: LabelSet, entries: [LogEntry])], tenant: String) async throws -> PushOutcome {
        let limit = settings.maxStreams
        let time = now()
        let engine = storage.engine
        let rules = try await alerts?.rules(of: tenant) ?? []
        let outcome = try await storage.transaction { sql in
            var outcome = PushOutcome()
            for (labels, entries) in streams {
                let stream: Int64
                do {
                    stream = try await StreamStore.resolve(tenant: tenant, labels: labels, maxStreams: limit, now: time, engine: engine, on: sql)
                } catch let error as StreamStore.LimitReached {
                    outcome.refusals.append("stream \(labels) refused: the tenant has reached its limit of \(error.limit) streams")
                    outcome.refusedStreams.insert(labels)
                    continue
                }
                if let chunk = try await ChunkStore.insert(entries, stream: stream, on: sql) { outcome.chunks.append(chunk) }
                outcome.stored += entries.count
            }
            if let alerts, !rules.isEmpty {
                try await alerts.count(streams.filter { !outcome.refusedStreams.contains($0.labels) }, rules: rules, on: sql)
            }
            return outcome
        }
        // Committed: live tails on every node may read the chunks now.
        await tailFeed?.announce(tenant: tenant, chunks: outcome.chunks)
        return outcome
    }

    /// A stream's entries that a query selected.
    struct StreamLines: Sendable {
        let labels: LabelSet
        var entries: [LogEntry]
    }

    /// The entries of the streams `selection` picks with times in `[start, end)`, each stream's
    /// in time order; at most `limit` in all, the newest (`backward`) or the oldest.
    func select(_ selection: LogQL.Selection, tenant: String, start: Int64, end: Int64, limit: Int, backward: Bool) async throws -> [StreamLines] {
        var read = Set<Int64>()
        return try await select(selection, tenant: tenant, start: start, end: end, limit: limit, backward: backward, chunksRead: &read)
    }

    /// The same, noting the chunks it read (a live tail's history, so the lines of a push it
    /// already showed are not sent twice).
    func select(
        _ selection: LogQL.Selection, tenant: String, start: Int64, end: Int64, limit: Int, backward: Bool, chunksRead: inout Set<Int64>
    ) async throws -> [StreamLines] {
        let matcher = try LineMatcher(selection)
        let pipeline = try LabelPipeline(selection.stages)
        let streams = try await storage.read { sql in try await StreamStore.streams(tenant: tenant, on: sql).filter { matcher.selects($0.labels) } }
        // Each line found carries the index of its labels here: its stream's, or (through a
        // pipeline) the stream's with what was extracted, each distinct set a stream of the answer.
        var keyLabels = streams.map(\.labels)
        let keyOfStream = Dictionary(uniqueKeysWithValues: streams.enumerated().map { ($1.id, $0) })
        var interned: [LabelSet: Int] = [:]
        let streamIDs = streams.map(\.id)
        // Chunks in the order of the answer, a page of heads at a time: once `limit` lines are
        // found and the next chunk can hold nothing nearer the end asked for than the last of
        // them, neither its lines nor the heads after it are read.
        var found: [(key: Int, entry: LogEntry)] = []
        var page: [ChunkStore.Head] = []
        var last: ChunkStore.Head?
        var exhausted = false
        scan: while true {
            if page.isEmpty {
                guard !exhausted else { break }
                let after = last
                page = try await storage.read { sql in
                    try await ChunkStore.heads(of: streamIDs, from: start, to: end, newestFirst: backward, after: after, limit: 256, on: sql)
                }
                exhausted = page.count < 256
                last = page.last
                guard !page.isEmpty else { break }
            }
            if found.count >= limit {
                found.sort { backward ? $0.entry.timestamp > $1.entry.timestamp : $0.entry.timestamp < $1.entry.timestamp }
                found.removeLast(found.count - limit)
                let boundary = found[limit - 1].entry.timestamp
                if backward ? page[0].maxTimestamp < boundary : page[0].minTimestamp > boundary { break scan }
            }
            let batch = Array(page.prefix(32))
            page.removeFirst(batch.count)
            chunksRead.formUnion(batch.map(\.id))
            let chunks = try await storage.read { sql in try await ChunkStore.chunks(ids: batch.map(\.id), on: sql) }
            for chunk in chunks {
                let streamKey = keyOfStream[chunk.streamID]!
                for entry in try Chunk.decode(chunk.data, rawBytes: chunk.rawBytes) where entry.timestamp >= start && entry.timestamp < end && matcher.keeps(entry.line) {
                    guard !pipeline.isEmpty else {
                        found.append((streamKey, entry))
                        continue
                    }
                    guard let labels = pipeline.run(entry.line, labels: keyLabels[streamKey]) else { continue }
                    let key: Int
                    if let known = interned[labels] {
                        key = known
                    } else {
                        key = keyLabels.count
                        keyLabels.append(labels)
                        interned[labels] = key
                    }
                    found.append((key, entry))
                }
            }
        }
        found.sort { backward ? $0.entry.timestamp > $1.entry.timestamp : $0.entry.timestamp < $1.entry.timestamp }
        var byStream: [Int: StreamLines] = [:]
        var order: [Int] = []
        for (key, entry) in found.prefix(limit) {
            if byStream[key] == nil {
                order.append(key)
                byStream[key] = StreamLines(labels: keyLabels[key], entries: [])
            }
            byStream[key]!.entries.append(entry)
        }
        // Each stream's lines in the direction asked, as Loki answers them.
        return order.map { byStream[$0]! }
    }

    /// One series of a metric query: its labels and `(time ns, value)` points.
    struct Series: Sendable {
        let labels: [(String, String)]
        var points: [(Int64, Double)]
    }

    /// Evaluates `metric` at each of `times` over the window before each (`(t - range, t]`), a
    /// sliding window over each stream's lines in time order.
    func evaluate(_ metric: LogQL.Metric, tenant: String, at times: [Int64]) async throws -> [Series] {
        guard let first = times.first, let last = times.last else { return [] }
        let streams = try await select(metric.selection, tenant: tenant, start: first - metric.range + 1, end: last + 1, limit: .max, backward: false)
        var series: [String: Series] = [:]
        var order: [String] = []
        let seconds = Double(metric.range) / 1_000_000_000
        for stream in streams {
            let key: [(String, String)]
            switch metric.grouping {
            case .none: key = stream.labels.pairs.map { ($0.name, $0.value) }
            case .sum(by: let names): key = names.sorted().compactMap { name in stream.labels[name].map { (name, $0) } }
            case .sumWithout(let names): key = stream.labels.pairs.filter { !names.contains($0.name) }.map { ($0.name, $0.value) }
            }
            let id = key.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{0}")
            var values = [Double](repeating: 0, count: times.count)
            var counted = [Bool](repeating: false, count: times.count)
            // Two pointers over the stream's entries: the window (t - range, t] only moves forward.
            var low = 0
            var high = 0
            var count = 0
            var bytes = 0
            let entries = stream.entries
            for (index, time) in times.enumerated() {
                while high < entries.count, entries[high].timestamp <= time {
                    count += 1
                    bytes += entries[high].line.utf8.count
                    high += 1
                }
                while low < high, entries[low].timestamp <= time - metric.range {
                    count -= 1
                    bytes -= entries[low].line.utf8.count
                    low += 1
                }
                guard count > 0 else { continue }
                counted[index] = true
                switch metric.function {
                case .countOverTime: values[index] = Double(count)
                case .rate: values[index] = Double(count) / seconds
                case .bytesOverTime: values[index] = Double(bytes)
                case .bytesRate: values[index] = Double(bytes) / seconds
                }
            }
            if series[id] == nil {
                order.append(id)
                series[id] = Series(labels: key, points: [])
            }
            var merged = Dictionary(uniqueKeysWithValues: series[id]!.points.map { ($0.0, $0.1) })
            for (index, time) in times.enumerated() where counted[index] { merged[time, default: 0] += values[index] }
            series[id]!.points = merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        return order.map { series[$0]! }
    }

    /// The tenant's streams, optionally only those `selection` picks.
    func streams(tenant: String, matching selection: LogQL.Selection? = nil) async throws -> [LabelSet] {
        let matcher = try selection.map(LineMatcher.init)
        return try await storage.read { sql in try await StreamStore.streams(tenant: tenant, on: sql) }
            .map(\.labels).filter { matcher?.selects($0) ?? true }
    }
}

extension LogsService {
    /// What a retention sweep removed.
    struct Swept: Sendable, Equatable {
        var chunks = 0
        var streams = 0
    }

    /// Removes every chunk past its stream's retention (the first rule whose selector picks the
    /// stream, else the default), then the streams left empty. Nothing of them stays behind.
    func applyRetention() async throws -> Swept {
        let now = nowNanoseconds
        let rules = try settings.retentionRules.map { (try LineMatcher($0.selection), Self.nanoseconds($0.keep)) }
        let defaultKeep = Self.nanoseconds(settings.retention)
        let streams = try await storage.read { sql in try await StreamStore.all(on: sql) }
        var byCutoff: [Int64: [Int64]] = [:]
        for stream in streams {
            let keep = rules.first { $0.0.selects(stream.labels) }?.1 ?? defaultKeep
            byCutoff[now - keep, default: []].append(stream.id)
        }
        var swept = Swept()
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
        swept.streams = try await storage.transaction { sql in try await StreamStore.deleteEmpty(engine: engine, on: sql) }
        if swept.chunks > 0 { try await storage.releaseFreeSpace() }
        return swept
    }
}

extension LogsService {
    /// The tenant the node's own lines are stored under (`APUS_LOGS_SELF`); no user id has
    /// this shape, and admins read it.
    static let ownTenant = "apus"

    /// One line of a trace, with its stream's labels.
    struct TracedLine: Sendable {
        let labels: LabelSet
        let entry: LogEntry
    }

    /// Every line of `tenants` whose metadata names `traceID`, in time order, found through the
    /// chunk key index (never by reading other chunks).
    func trace(_ traceID: String, tenants: [String]) async throws -> [TracedLine] {
        let limit = settings.maxQueryLines
        let (streams, chunks) = try await storage.read { sql in
            var streams: [StreamStore.Stream] = []
            for tenant in tenants { streams += try await StreamStore.streams(tenant: tenant, on: sql) }
            return (streams, try await ChunkStore.chunks(withKey: "trace_id", traceID, of: streams.map(\.id), on: sql))
        }
        let labels = Dictionary(uniqueKeysWithValues: streams.map { ($0.id, $0.labels) })
        var lines: [TracedLine] = []
        for chunk in chunks {
            for entry in try Chunk.decode(chunk.data, rawBytes: chunk.rawBytes) where entry.metadata["trace_id"] == traceID {
                lines.append(TracedLine(labels: labels[chunk.streamID]!, entry: entry))
            }
        }
        return Array(lines.sorted { $0.entry.timestamp < $1.entry.timestamp }.prefix(limit))
    }
}

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
                let merged = try await storage.transaction { sql in try await ChunkStore.merge(group.ids, stream: group.stream, engine: engine, on: sql) }
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

extension LogsService {
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
