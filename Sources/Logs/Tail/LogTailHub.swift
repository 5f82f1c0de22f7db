import ApusCore
import Foundation
import Logging

/// This node's live tails: which tenant and selection each follows, and its socket. A note of
/// stored chunks is read once for all the tails of its tenant (and not at all when the tenant
/// has none), each tail getting the lines its selection keeps, as Loki's tail frames. A tail
/// opening holds what arrives until its history has gone out, so its lines stay in order.
actor LogTailHub {
    private struct Tail {
        let tenant: String
        let matcher: LineMatcher
        let pipeline: LabelPipeline
        let socket: Socket
        /// Lines held while the history is read, by the chunk they came from; `nil` once the
        /// history has gone out.
        var held: [(chunk: Int64, lines: [LogsService.StreamLines])]?
    }

    private let service: LogsService
    private var tails: [Int: Tail] = [:]

    init(service: LogsService) {
        self.service = service
    }

    /// Follows `selection` of `tenant` on `socket`, holding lines until ``ready(_:showed:)``.
    func open(_ socket: Socket, tenant: String, selection: LogQL.Selection) throws {
        tails[socket.id] = Tail(tenant: tenant, matcher: try LineMatcher(selection), pipeline: try LabelPipeline(selection.stages), socket: socket, held: [])
    }

    /// The history went out, read from the chunks `showed`: sends what was held from any other
    /// chunk (a push that committed while the history was read is in one or the other, or both),
    /// then lines as they come.
    func ready(_ socket: Socket, showed: Set<Int64>) throws {
        guard let held = tails[socket.id]?.held else { return }
        tails[socket.id]?.held = nil
        let lines = Self.merged(held.filter { !showed.contains($0.chunk) }.flatMap(\.lines))
        if !lines.isEmpty { socket.send(try Self.frame(lines)) }
    }

    func close(_ socket: Socket) {
        tails[socket.id] = nil
    }

    /// Reads the announced chunks for the tails of their tenant and sends each its lines.
    func deliver(_ note: LogTailFeed.Note) async throws {
        let following = tails.filter { $0.value.tenant == note.t }
        guard !following.isEmpty else { return }
        let (chunks, streams) = try await service.storage.read { sql in
            (try await ChunkStore.identified(ids: note.c, on: sql), try await StreamStore.streams(tenant: note.t, on: sql))
        }
        let labels = Dictionary(uniqueKeysWithValues: streams.map { ($0.id, $0.labels) })
        let decoded = try chunks.compactMap { id, chunk -> (Int64, LabelSet, [LogEntry])? in
            guard let streamLabels = labels[chunk.streamID] else { return nil }
            return (id, streamLabels, try Chunk.decode(chunk.data, rawBytes: chunk.rawBytes))
        }
        for (id, tail) in following {
            var perChunk: [(chunk: Int64, lines: [LogsService.StreamLines])] = []
            for (chunk, streamLabels, entries) in decoded where tail.matcher.selects(streamLabels) {
                var kept: [LogsService.StreamLines] = []
                for entry in entries where tail.matcher.keeps(entry.line) {
                    guard let shown = tail.pipeline.isEmpty ? streamLabels : tail.pipeline.run(entry.line, labels: streamLabels) else { continue }
                    kept.append(LogsService.StreamLines(labels: shown, entries: [entry]))
                }
                if !kept.isEmpty { perChunk.append((chunk, kept)) }
            }
            guard !perChunk.isEmpty else { continue }
            if tails[id]?.held != nil {
                tails[id]?.held?.append(contentsOf: perChunk)
            } else {
                tail.socket.send(try Self.frame(Self.merged(perChunk.flatMap(\.lines))))
            }
        }
    }

    /// Lines of one label set together, in the order the sets first appear.
    static func merged(_ lines: [LogsService.StreamLines]) -> [LogsService.StreamLines] {
        LogsService.merged(lines.map { ($0.labels, $0.entries) }).map { LogsService.StreamLines(labels: $0.labels, entries: $0.entries) }
    }

    /// Loki's tail frame: `{"streams":[{"stream":{…},"values":[["<ns>","line"]]}],"dropped_entries":null}`,
    /// each stream's lines oldest first.
    static func frame(_ lines: [LogsService.StreamLines]) throws -> String {
        let ordered = lines.map { LogsService.StreamLines(labels: $0.labels, entries: $0.entries.sorted { $0.timestamp < $1.timestamp }) }
        let body = JSONValue.object(["streams": LokiQueryRoutes.streams(ordered), "dropped_entries": .null])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(body), as: UTF8.self)
    }
}
