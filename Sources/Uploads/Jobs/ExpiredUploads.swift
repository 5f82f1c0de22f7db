import ApusCore

/// The sweep that removes unfinished uploads past their expiry, bytes and all, on one node at a
/// time. Until it runs, such an upload answers 410; afterwards, 404.
enum ExpiredUploads {
    static let kind = "uploads.remove-expired"

    static func job(every interval: Double) -> RecurringJob {
        RecurringJob(name: kind, interval: interval, job: NewJob(kind: kind))
    }

    static func handler(service: UploadsService) -> JobHandler {
        JobHandler(kind: kind) { _ in
            // A full batch means more may be waiting.
            while try await service.removeExpired() == 100 {}
            // Final uploads whose parts expired go with them; any left waiting for a job that a
            // dead node never ran are assembled.
            _ = try await service.settleWaitingFinals()
        }
    }
}
