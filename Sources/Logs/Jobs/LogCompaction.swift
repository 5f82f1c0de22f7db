import ApusCore

/// The round that merges streams' small chunks into larger ones, on one node at a time.
enum LogCompaction {
    static let kind = "logs.compact"

    static func job(every interval: Double) -> RecurringJob {
        RecurringJob(name: kind, interval: interval, job: NewJob(kind: kind))
    }

    static func handler(service: LogsService) -> JobHandler {
        JobHandler(kind: kind) { _ in
            _ = try await service.compact()
        }
    }
}
