public import ApusCore
import ApusKit
import Foundation

/// `apus recs import interactions.csv`: history from CSV. The header names the columns `user,
/// item, kind, at` and optionally `weight`; `at` is RFC 3339 or seconds since 1970 (as
/// MovieLens ships it). Rows are stored in batches as the API stores them; a bad row is
/// refused and reported by line, the rest imported. Users are not folded in: train afterwards.
public struct InteractionImport: Sendable {
    /// What an import did.
    public struct Summary: Sendable {
        /// Rows read, and how many were new (a row already stored is kept once).
        public var rows = 0
        public var stored = 0
        /// Rows refused, with the reason, by line number (1 = the header).
        public var refused: [(line: Int, reason: String)] = []
    }

    let service: RecsService

    /// An import into the recommendations of `platform`.
    public init(platform: Platform) throws {
        service = RecsService(platform: platform, settings: try RecsSettings(platform.settings, cores: 1))
    }

    /// Imports `csv`, telling `progress` (rows done, rows in all) after each batch.
    public func run(csv: String, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Summary {
        var summary = Summary()
        let records = Array(CSVRecords(csv))
        guard let header = records.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else { return summary }
        for required in ["user", "item", "kind", "at"] where !header.contains(required) {
            summary.refused.append((1, "the header has no \(required) column"))
            return summary
        }
        func column(_ name: String, _ row: [String]) -> String? {
            header.firstIndex(of: name).flatMap { $0 < row.count ? row[$0].trimmingCharacters(in: .whitespaces) : nil }
        }
        let rows = records.dropFirst().filter { !$0.isBlank }
        var batch: [StoredInteraction] = []
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let rows = batch
            let stored = try await service.platform.transaction { [service] transaction in
                try await service.interactions.insert(rows, on: transaction.sql)
            }
            summary.stored += stored
            service.metrics.stored(stored)
            batch.removeAll(keepingCapacity: true)
        }
        for (done, record) in rows.enumerated() {
            summary.rows += 1
            switch Self.interaction(record, column: column, weights: service.settings.weights) {
            case .success(let interaction): batch.append(interaction)
            case .failure(let refusal): summary.refused.append((record.line, refusal.reason))
            }
            if batch.count == 1_000 {
                try await flush()
                progress(done + 1, rows.count)
            }
        }
        try await flush()
        progress(rows.count, rows.count)
        return summary
    }

    struct Refusal: Error { let reason: String }

    private static func interaction(
        _ record: CSVRecords.Record, column: (String, [String]) -> String?, weights: [InteractionKind: Double]
    ) -> Result<StoredInteraction, Refusal> {
        if record.unterminated { return .failure(Refusal(reason: "a quoted field is not closed before the end of the file")) }
        let fields = record.fields
        guard let user = column("user", fields), RecsRoutes.isValidID(user) else {
            return .failure(Refusal(reason: "user is 1 to 200 letters, digits and . _ : @ + ~ -, not starting with a dot"))
        }
        guard let item = column("item", fields), RecsRoutes.isValidID(item) else {
            return .failure(Refusal(reason: "item is 1 to 200 letters, digits and . _ : @ + ~ -, not starting with a dot"))
        }
        guard let kind = column("kind", fields).flatMap({ InteractionKind(rawValue: $0.lowercased()) }) else {
            return .failure(Refusal(reason: "kind is one of \(InteractionKind.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        let at: Date
        if let text = column("at", fields), let seconds = Double(text), seconds.isFinite {
            at = Date(timeIntervalSince1970: seconds)
        } else if let text = column("at", fields), let date = Timestamp.parse(text) {
            at = date
        } else {
            return .failure(Refusal(reason: "at is an RFC 3339 time or seconds since 1970"))
        }
        var weight = weights[kind] ?? 1
        if let text = column("weight", fields), !text.isEmpty {
            guard let value = Double(text), value.isFinite, value >= 0, value <= 1_000_000 else {
                return .failure(Refusal(reason: "weight is a number from 0 to 1000000"))
            }
            weight = value
        }
        return .success(StoredInteraction(user: user, item: item, kind: kind, weight: weight, at: at.epochMilliseconds))
    }
}
