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
        /// Frames held while the history is read; `nil` once it has gone out.
        var held: [String]?
    }

    private let service: LogsService
    private var tails: [Int: Tail] = [:]

    init(service: LogsService) {
        self.service = service
    }

    /// Follows `selection` of `tenant` on `socket`, holding frames until ``ready(_:)``.
    func open(_ socket: Socket, tenant: String, selection: LogQL.Selection) throws {
        tails[socket.id] = Tail(tenant: tenant, matcher: try LineMatcher(selection), pipeline: try LabelPipeline(selection.stages), socket: socket, held: [])
    }

    /// The history went out: sends what was held, then frames as they come.
    func ready(_ socket: Socket) {
        guard let held = tails[socket.id]?.held else { return }
        for frame in held { socket.send(frame) }
        tails[socket.id]?.held = nil
    }

    func close(_ socket: Socket) {
        tails[socket.id] = nil
    }

    var count: Int { tails.count }

    /// Reads the announced chunks for the tails of their tenant and sends each its lines.
    func deliver(_ note: LogTailFeed.Note) async throws {
        let following = tails.filter { $0.value.tenant == note.t }
        guard !following.isEmpty else { return }
        let (chunks, streams) = try await service.storage.read { sql in
            (try await ChunkStore.chunks(ids: note.c, on: sql), try await StreamStore.streams(tenant: note.t, on: sql))
        }
        let labels = Dictionary(uniqueKeysWithValues: streams.map { ($0.id, $0.labels) })
        let decoded = try chunks.compactMap { chunk -> (LabelSet, [LogEntry])? in
            guard let streamLabels = labels[chunk.streamID] else { return nil }
            return (streamLabels, try Chunk.decode(chunk.data, rawBytes: chunk.rawBytes))
        }
        for (id, tail) in following {
            var lines: [LogsService.StreamLines] = []
            var index: [LabelSet: Int] = [:]
            for (streamLabels, entries) in decoded where tail.matcher.selects(streamLabels) {
                for entry in entries where tail.matcher.keeps(entry.line) {
                    guard let kept = tail.pipeline.isEmpty ? streamLabels : tail.pipeline.run(entry.line, labels: streamLabels) else { continue }
                    if let at = index[kept] {
                        lines[at].entries.append(entry)
                    } else {
                        index[kept] = lines.count
                        lines.append(LogsService.StreamLines(labels: kept, entries: [entry]))
                    }
                }
            }
            guard !lines.isEmpty else { continue }
            let frame = try Self.frame(lines)
            if tails[id]?.held != nil {
                tails[id]?.held?.append(frame)
            } else {
                tail.socket.send(frame)
            }
        }
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
