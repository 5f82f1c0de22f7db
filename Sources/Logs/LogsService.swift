import ApusCore
import Foundation

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
    /// on disk. A stream past the tenant's stream limit is refused, the others kept. The chunks
    /// are compressed before the transaction, which runs a few statements whatever the number of
    /// streams, so concurrent pushes wait for each other's SQL only.
    func store(_ streams: [(labels: LabelSet, entries: [LogEntry])], tenant: String) async throws -> PushOutcome {
        let streams = Self.merged(streams)
        // A small chunk is compressed fast: compaction merges it with its stream's neighbours
        // and compresses the result well. One with no neighbour within the hour stays as it is.
        let prepared = streams.map { PreparedChunk($0.entries, quickly: $0.entries.count < Self.smallChunkLines) }
        let limit = settings.maxStreams
        let time = now()
        let engine = storage.engine
        let rules = try await alerts?.rules(of: tenant) ?? []
        let outcome = try await storage.transaction { sql in
            var outcome = PushOutcome()
            let ids = try await StreamStore.resolve(tenant: tenant, labels: streams.map(\.labels), maxStreams: limit, now: time, engine: engine, on: sql)
            var rows: [(stream: Int64, chunk: PreparedChunk)] = []
            for ((labels, entries), chunk) in zip(streams, prepared) {
                guard let id = ids[labels] else {
                    outcome.refusals.append("stream \(labels) refused: the tenant has reached its limit of \(limit) streams")
                    outcome.refusedStreams.insert(labels)
                    continue
                }
                if let chunk { rows.append((id, chunk)) }
                outcome.stored += entries.count
            }
            outcome.chunks = try await ChunkStore.insert(rows, on: sql)
            if let alerts, !rules.isEmpty {
                try await alerts.count(streams.filter { !outcome.refusedStreams.contains($0.labels) }, rules: rules, on: sql)
            }
            return outcome
        }
        // Committed: live tails on every node may read the chunks now.
        await tailFeed?.announce(tenant: tenant, chunks: outcome.chunks)
        return outcome
    }

    /// The streams with each set of labels once, its entries together, in the order first seen.
    static func merged(_ streams: [(labels: LabelSet, entries: [LogEntry])]) -> [(labels: LabelSet, entries: [LogEntry])] {
        var position: [LabelSet: Int] = [:]
        var merged: [(labels: LabelSet, entries: [LogEntry])] = []
        merged.reserveCapacity(streams.count)
        for stream in streams {
            if let index = position[stream.labels] {
                merged[index].entries += stream.entries
            } else {
                position[stream.labels] = merged.count
                merged.append(stream)
            }
        }
        return merged
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
        // What a line must hold: a chunk whose 4-grams rule one out is skipped unread.
        let literals = matcher.requiredLiterals.map { Array($0.utf8) }
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
                    try await ChunkStore.heads(
                        of: streamIDs, from: start, to: end, newestFirst: backward, after: after, limit: 256, on: sql
                    )
                }
                exhausted = page.count < 256
                last = page.last
                guard !page.isEmpty else { break }
                if !literals.isEmpty {
                    // Chunks whose 4-grams rule out a literal hold no line to keep: not read.
                    let ids = page.map(\.id)
                    let grams = try await storage.read { sql in try await ChunkStore.grams(ids: ids, on: sql) }
                    let ruledOut = Set(ids.filter { id in grams[id].map { filter in !literals.allSatisfy { filter.mayContain($0) } } ?? false })
                    chunksRead.formUnion(ruledOut)
                    page.removeAll { ruledOut.contains($0.id) }
                    guard !page.isEmpty else { continue }
                }
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
