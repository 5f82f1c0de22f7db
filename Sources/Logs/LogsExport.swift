public import ApusCore
import Foundation

/// `apus logs export`: the lines a selector picks over a time range, tenant by tenant and in
/// time order, as NDJSON records `{"tenant", "timestamp" (ns), "time", "labels", "line",
/// "metadata"}`. The range is read a slice at a time, so memory holds one slice, not the range.
public struct LogsExport: Sendable {
    let service: LogsService
    /// The span read at once.
    static let slice: Int64 = 600_000_000_000

    public init(platform: Platform) throws {
        service = LogsService(storage: try platform.ownDatabase(for: LogsModule.name), settings: try LogsSettings(platform.settings), now: platform.now)
    }

    /// Writes each record (a line of JSON, without its line end) through `write`; `progress`
    /// gets the fraction done. `from` and `to` are RFC 3339, Unix seconds or nanoseconds (a day
    /// ago and now unless given; `to` exclusive). Returns the lines written.
    public func run(
        selector: String, from: String?, to: String?, tenant: String?,
        write: (String) throws -> Void, progress: (Double) -> Void = { _ in }
    ) async throws -> Int {
        let selection: LogQL.Selection
        do {
            guard case .logs(let parsed) = try LogQLParser.parse(selector) else { throw Problem.badRequest("--selector takes a log query, not a metric query") }
            selection = parsed
        } catch let error as LogQLError {
            throw Problem.badRequest("--selector: \(error.description)")
        }
        let now = service.nowNanoseconds
        func time(_ text: String?, _ name: String, default value: Int64) throws -> Int64 {
            guard let text else { return value }
            guard let parsed = LokiTime.parse(text) else { throw Problem.badRequest("--\(name) \(LabelSet.quoted(text)) is not RFC 3339, Unix seconds or nanoseconds") }
            return parsed
        }
        let start = try time(from, "from", default: now - 86_400_000_000_000)
        let end = try time(to, "to", default: now + 1)
        guard start < end else { throw Problem.badRequest("--from must come before --to") }
        var tenants = tenant.map { [$0] } ?? []
        if tenant == nil { tenants = try await service.storage.read { sql in try await StreamStore.tenants(on: sql) } }
        let records = ExportRecords()
        var written = 0
        for (index, tenant) in tenants.enumerated() {
            var low = start
            while low < end {
                let (next, overflow) = low.addingReportingOverflow(Self.slice)
                let high = overflow ? end : min(end, next)
                let streams = try await service.select(selection, tenant: tenant, start: low, end: high, limit: .max, backward: false)
                let lines = streams.flatMap { stream in stream.entries.map { (stream.labels, $0) } }.sorted { $0.1.timestamp < $1.1.timestamp }
                for (labels, entry) in lines {
                    try write(try records.line(tenant: tenant, labels: labels, entry: entry))
                    written += 1
                }
                low = high
                progress((Double(index) + (Double(low) - Double(start)) / (Double(end) - Double(start))) / Double(tenants.count))
            }
        }
        progress(1)
        return written
    }
}

/// Lines as export records, one JSON object each: `{"tenant", "timestamp" (ns), "time",
/// "labels", "line", "metadata"}`, what `apus logs export` writes and retention archives.
struct ExportRecords {
    private struct Record: Encodable {
        var tenant: String
        var timestamp: String
        var time: String
        var labels: [String: String]
        var line: String
        var metadata: [String: String]
    }

    private let encoder: JSONEncoder
    private let formatter: ISO8601DateFormatter

    init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    }

    /// One record, without its line end.
    func line(tenant: String, labels: LabelSet, entry: LogEntry) throws -> String {
        let record = Record(
            tenant: tenant, timestamp: String(entry.timestamp),
            time: formatter.string(from: Date(timeIntervalSince1970: Double(entry.timestamp) / 1e9)),
            labels: Dictionary(labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }),
            line: entry.line, metadata: entry.metadata
        )
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }
}
