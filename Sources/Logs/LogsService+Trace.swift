import ApusCore
import Foundation

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
