import ApusCore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// The node's own log lines, stored in the log store under the tenant ``LogsService/ownTenant``
/// when `APUS_LOGS_SELF` is on: labelled by node, module and level, with the request and trace
/// ids as metadata, so `GET /v1/logs/trace/{id}` follows a request through every line it
/// caused. Lines wait in a bounded, batched writer (a burst past it is dropped and counted, never
/// blocking the code that logs), and what the writer itself logs is never stored.
struct OwnLines: Service {
    let service: LogsService
    let node: String
    let writer: BatchedWriter<LogRecord>

    init(service: LogsService, node: String, metrics: PrometheusCollectorRegistry, logger: Logger) {
        self.service = service
        self.node = node
        let service = service
        let node = node
        writer = BatchedWriter(
            subsystem: "logs", noun: "own_lines", capacity: 50_000, batchSize: 1_000, chunkSize: 5_000, interval: .seconds(1),
            metrics: metrics, logger: logger
        ) { records in
            try await LogTap.muted {
                _ = try await service.store(Self.streams(records, node: node), tenant: LogsService.ownTenant)
            }
        }
    }

    func run() async throws {
        let writer = self.writer
        LogTap.install { writer.record($0) }
        defer { LogTap.remove() }
        try await writer.run()
    }

    /// Records grouped into streams: `{app="apus", node, module, level}`.
    static func streams(_ records: [LogRecord], node: String) -> [(labels: LabelSet, entries: [LogEntry])] {
        var grouped: [LabelSet: [LogEntry]] = [:]
        var order: [LabelSet] = []
        for record in records {
            let module = record.metadata["module"] ?? "platform"
            guard let labels = try? LabelSet([("app", "apus"), ("node", node), ("module", module), ("level", record.level.rawValue)], maxLabels: 4) else { continue }
            var metadata: [String: String] = [:]
            var text = record.message
            for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
                switch key {
                case "trace_id", "request_id": metadata[key] = value
                case "module", "node": continue
                default: text += " \(key)=\(value.contains(" ") ? LabelSet.quoted(value) : value)"
                }
            }
            let entry = LogEntry(timestamp: Int64(record.time.timeIntervalSince1970 * 1_000_000_000), line: text, metadata: metadata)
            if grouped[labels] == nil { order.append(labels) }
            grouped[labels, default: []].append(entry)
        }
        return order.map { ($0, grouped[$0]!) }
    }
}
