import ApusCore

/// Removes the bytes of an upload whose row a transaction deleted (a deleted user's uploads).
/// Enqueued in that transaction, so the bytes go only if it commits, and still go if the node
/// or the object store fails right after; running it twice is harmless.
enum RemovedUploadBytes {
    static let kind = "uploads.remove-bytes"

    struct Payload: Codable {
        var upload: String
        var key: String
        var state: String
        var complete: Bool
        var waitingFinal: Bool
    }

    static func job(for upload: Upload) throws -> NewJob {
        let payload = Payload(
            upload: upload.id, key: upload.object.key.path, state: upload.object.state, complete: upload.isComplete, waitingFinal: upload.isWaitingFinal
        )
        return try NewJob(kind: kind, json: payload, idempotencyKey: "\(kind):\(upload.id)")
    }

    static func handler(service: UploadsService) -> JobHandler {
        JobHandler(kind: kind) { job in
            let payload = try job.decode(Payload.self)
            guard let key = ObjectKey(payload.key) else { throw JobFailure.permanent("\(payload.key) is no object key") }
            do {
                try await service.removeBytes(AppendableObject(key: key, state: payload.state), complete: payload.complete, waitingFinal: payload.waitingFinal)
            } catch let problem as Problem where problem.status == .notFound {
                // Already gone: an earlier run removed them.
            }
        }
    }
}
