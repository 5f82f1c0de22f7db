import Foundation
import Logging
import Prometheus

/// Prunes delivered history hourly, on one node: receipts older than a week, and events older
/// than a week that every consumer has passed. An event a consumer has not yet processed is
/// kept however old; a consumer that far behind is named in a warning and counted in
/// `apus_events_consumers_behind` (one whose module no longer runs anywhere can have its row
/// removed from `apus_event_consumers`, which lets its events go).
enum EventRetention {
    static let kind = "apus.events.prune"
    static let lifetime: Double = 7 * 24 * 3600

    static let job = RecurringJob(name: kind, interval: 3600, job: NewJob(kind: kind))

    static func handler(
        database: any Database, logger: Logger, metrics: PrometheusCollectorRegistry, lifetime: Double = lifetime,
        now: @escaping @Sendable () -> Date = { Date() }
    ) -> JobHandler {
        let behind = metrics.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "apus", subsystem: "events", metricName: "consumers_behind", unitName: "",
            helpText: "Event consumers with events older than the retention period still to process (those events are kept)."
        ))
        // The consumer `c` has not yet passed the event `e`.
        let unpassed =
            database.engine == .postgres
            ? "(e.tx, e.id) > (c.position_tx::xid8, c.position_id)"
            : "e.id > c.position_id"
        return JobHandler(kind: kind) { _ in
            let cutoff = now().addingTimeInterval(-lifetime).epochMilliseconds
            let lagging = try await database.read { connection in
                try await connection.raw("""
                    SELECT c.name FROM apus_event_consumers c
                    WHERE EXISTS (SELECT 1 FROM apus_events e WHERE e.occurred_at < \(bind: cutoff) AND \(unsafeRaw: unpassed))
                    ORDER BY c.name
                    """).all().map { try $0.decode(column: "name", as: String.self) }
            }
            behind.set(Double(lagging.count))
            if !lagging.isEmpty {
                logger.warning("event consumers are more than the retention period behind; their events are kept", metadata: [
                    "consumers": "\(lagging.joined(separator: ","))"
                ])
            }
            try await database.write { connection in
                try await connection.raw("DELETE FROM apus_event_receipts WHERE processed_at < \(bind: cutoff)").run()
                try await connection.raw("""
                    DELETE FROM apus_events AS e WHERE e.occurred_at < \(bind: cutoff)
                      AND NOT EXISTS (SELECT 1 FROM apus_event_consumers c WHERE \(unsafeRaw: unpassed))
                    """).run()
            }
        }
    }
}
