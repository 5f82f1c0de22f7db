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
            let final = try job.decode(Payload.self).final
            // Whoever holds its lock may have read this job's part unfinished: try again later.
            if case .busy = try await service.assembleIfReady(final) { throw AssemblyBusy(final: final) }
        }
    }
}

/// The final upload's lock was held; the job runs again after a backoff.
struct AssemblyBusy: Error, CustomStringConvertible {
    var final: String
    var description: String { "the final upload \(final) is locked by another request" }
}
