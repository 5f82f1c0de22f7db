import ApusCore

/// The sweep that drops lines past their stream's retention, on one node at a time: the chunks
/// whose newest line is older than the stream's window, then streams left with no chunk.
enum LogRetention {
    static let kind = "logs.retention"

    static func job(every interval: Double) -> RecurringJob {
        RecurringJob(name: kind, interval: interval, job: NewJob(kind: kind))
    }

    static func handler(service: LogsService) -> JobHandler {
        JobHandler(kind: kind) { _ in
            _ = try await service.applyRetention()
        }
    }
}
