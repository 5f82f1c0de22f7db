import ApusCore
import Foundation

/// The job that publishes or withdraws an entry at its scheduled time. The queue runs it once
/// across nodes, and on the next start when every node was down at the time; the entry decides
/// whether it is still due (see `ContentService.runScheduled`).
enum ScheduledTransition {
    static let kind = "content.scheduled-transition"

    enum Action: String, Codable, Sendable {
        case publish, unpublish
    }

    struct Payload: Codable {
        var entry: String
        var action: Action
        var at: Int64
    }

    static func job(entry: String, action: Action, at time: Date) throws -> NewJob {
        let milliseconds = time.epochMilliseconds
        return try NewJob(
            kind: kind, json: Payload(entry: entry, action: action, at: milliseconds), runAt: time,
            idempotencyKey: "\(kind):\(entry):\(action.rawValue):\(milliseconds)"
        )
    }

    static func handler(service: ContentService) -> JobHandler {
        JobHandler(kind: kind) { job in
            let payload = try job.decode(Payload.self)
            try await service.runScheduled(payload.action, entry: payload.entry, at: Date(epochMilliseconds: payload.at))
        }
    }
}

/// Every node counts now and then the schedules past their time (`apus_content_schedules_overdue`):
/// a number that stays above zero means no node runs the job queue.
enum OverdueSchedules {
    static let kind = "content.overdue-schedules"

    static func job(every interval: Double) -> RecurringJob {
        RecurringJob(name: kind, interval: interval, job: NewJob(kind: kind))
    }

    static func handler(service: ContentService) -> JobHandler {
        JobHandler(kind: kind) { _ in try await service.countOverdueSchedules() }
    }
}
