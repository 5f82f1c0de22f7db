import Foundation

/// Prunes delivered history: events and receipts older than a week go, hourly, on one node.
enum EventRetention {
    static let kind = "apus.events.prune"
    static let lifetime: Double = 7 * 24 * 3600

    static let job = RecurringJob(name: kind, interval: 3600, job: NewJob(kind: kind))

    static func handler(database: any Database) -> JobHandler {
        JobHandler(kind: kind) { _ in
            let cutoff = JobQueue.milliseconds(Date().addingTimeInterval(-lifetime))
            try await database.write { connection in
                try await connection.raw("DELETE FROM apus_event_receipts WHERE processed_at < \(bind: cutoff)").run()
                try await connection.raw("DELETE FROM apus_events WHERE occurred_at < \(bind: cutoff)").run()
            }
        }
    }
}
