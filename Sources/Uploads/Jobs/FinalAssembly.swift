import ApusCore

/// Assembles a final upload once the last of its parts has finished. Enqueued with that part's
/// completion, so it is not lost with the node; running it twice is harmless.
enum FinalAssembly {
    static let kind = "uploads.assemble-final"

    struct Payload: Codable {
        var final: String
    }

    /// The job the completion of `part` enqueues for `final`.
    static func job(_ final: String, after part: String) throws -> NewJob {
        try NewJob(kind: kind, json: Payload(final: final), idempotencyKey: "\(kind):\(final):\(part)")
    }

    static func handler(service: UploadsService) -> JobHandler {
        JobHandler(kind: kind) { job in
            try await service.assembleIfReady(try job.decode(Payload.self).final)
        }
    }
}
