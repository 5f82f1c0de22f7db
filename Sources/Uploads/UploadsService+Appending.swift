import ApusCore
import ApusKit
import Foundation
import NIOCore

/// Appending: one `PATCH` (or the body of a creating `POST`) streamed into the upload's object
/// under the upload's lock, recorded as it becomes durable, and the upload completed when its
/// last byte arrives.
extension UploadsService {
    /// One `PATCH` (or the body of a creating `POST`).
    struct Chunk: Sendable {
        /// `Upload-Offset`.
        var offset: Int64
        /// `Upload-Length`, when the client declares a deferred length with this chunk.
        var length: Int64?
        var checksum: UploadChecksum?
    }

    /// Appends `body` to the upload `id` under its lock; 423 when another request holds it.
    func append<Body: AsyncSequence & Sendable>(_ chunk: Chunk, to id: String, by principal: Principal, body: Body) async throws -> Upload
    where Body.Element == ByteBuffer {
        let upload = try await live(id, by: principal)
        if case .final = upload.concatenation { throw Problem(.forbidden, detail: "A final upload is made of its parts; it takes no chunks.") }
        let appended = try await platform.withExclusiveLock("uploads", id) {
            try await self.appendHoldingLock(chunk, to: id, body: body)
        }
        guard let appended else {
            throw Problem(Tus.locked, detail: "Another request is writing this upload; ask HEAD for its offset and try again.", headers: [.retryAfter: "1"])
        }
        return appended
    }

    private func appendHoldingLock<Body: AsyncSequence>(_ chunk: Chunk, to id: String, body: Body) async throws -> Upload
    where Body.Element == ByteBuffer {
        // Read again under the lock: the offset may have moved since the caller looked.
        guard var upload = try await find(id) else { throw Problem.notFound("No upload \(id).") }
        guard chunk.offset == upload.offset else {
            throw Problem.conflict("Upload-Offset is \(chunk.offset) but the upload is at \(upload.offset); resume from there.")
        }
        if let declared = chunk.length {
            if let length = upload.length {
                guard declared == length else { throw Problem.badRequest("Upload-Length is \(length) and cannot change.") }
            } else {
                guard declared >= upload.offset else { throw Problem.badRequest("Upload-Length is below the bytes already received.") }
                try checkSize(declared)
                try await withinQuota(of: upload.ownerId, besides: id, keeping: declared) { [store] transaction in
                    _ = try await store.setLength(id, declared, on: transaction.sql)
                    try await store.setQuotaHold(id, 0, on: transaction.sql)
                }
                upload.length = declared
            }
        }
        // Nothing is left to send; the client is told so with the final offset.
        if upload.isComplete { return upload }
        guard let hash = ResumableSHA256(saved: upload.hashState), Int64(hash.byteCount) == upload.offset else {
            throw Problem(.internalServerError, detail: "The upload's stored state is damaged.")
        }
        let progress = ChunkProgress(hash: hash, checksum: chunk.checksum, recorded: upload.offset)
        if let length = upload.length {
            return try await write(chunk, to: upload, progress: progress, limit: length - upload.offset, body: body)
        }
        // A length still deferred: the chunk may write only the room its owner's quota has left,
        // held for it until it ends.
        let room = try await holdRoom(for: upload)
        do {
            let written = try await write(chunk, to: upload, progress: progress, limit: room, body: body)
            await releaseRoom(of: id)
            return written
        } catch {
            await releaseRoom(of: id)
            throw error
        }
    }

    /// Streams one chunk of at most `limit` bytes into the upload, recording what arrives.
    private func write<Body: AsyncSequence>(_ chunk: Chunk, to upload: Upload, progress: ChunkProgress, limit: Int64, body: Body) async throws -> Upload
    where Body.Element == ByteBuffer {
        var upload = upload
        let start = upload.offset
        let options = AppendOptions(limit: limit, keepPartial: chunk.checksum == nil)
        let before = upload.object
        do {
            upload.object = try await objects.append(upload.object, at: start, body, options: options) { buffer in
                progress.observe(buffer)
            } checkpoint: { object, length in
                try await self.keep(upload, object: object, length: length, progress)
            }
        } catch let interrupted as AppendInterrupted {
            metrics.bytesReceived.increment(by: Int64(progress.hash.byteCount) - start)
            // What arrived before the connection dropped (or the node began shutting down) is
            // kept, and HEAD will say so.
            let kept = try await keep(upload, object: interrupted.object, length: interrupted.length, progress)
            if case ObjectStoreError.limitExceeded? = interrupted.cause as? ObjectStoreError {
                // More bytes than the length: those up to it are stored, so the upload is
                // finished; it is never left holding all its bytes but unfinished.
                if let length = kept.length, kept.offset == length, Int64(progress.hash.byteCount) == length {
                    _ = try await Task { [self, kept, hash = progress.hash, from = progress.recorded] in try await complete(kept, hash: hash, from: from) }.value
                }
                throw Self.tooLong
            }
            throw try storageProblem(interrupted.cause)
        } catch ObjectStoreError.limitExceeded {
            throw Self.tooLong
        } catch {
            throw try storageProblem(error)
        }
        metrics.bytesReceived.increment(by: Int64(progress.hash.byteCount) - start)
        if let checksum = chunk.checksum, progress.chunkDigest() != checksum.digest {
            // Back to the object as it was before the chunk.
            _ = try await storage { try await self.objects.truncate(before, to: start) }
            metrics.checksumFailures.increment()
            throw Problem(Tus.checksumMismatch, detail: "The chunk's \(checksum.algorithm.rawValue) does not match Upload-Checksum; it was discarded.")
        }
        let length = Int64(progress.hash.byteCount)
        if length == upload.length {
            return try await complete(upload, hash: progress.hash, from: progress.recorded)
        }
        upload.offset = length
        upload.hashState = progress.hash.saved
        upload.expiresAt = platform.now().addingTimeInterval(settings.expiry)
        try await record(upload, from: progress.recorded)
        return upload
    }

    private static let tooLong = Problem(.contentTooLarge, detail: "The chunk goes past the upload's length (or the largest upload allowed, or your quota).")

    /// Records that `length` bytes of `object` are durable, if the hash covers exactly those,
    /// and returns the upload as it then is. In a task of its own, so that a request cancelled by
    /// shutdown keeps its bytes as one whose client went away does.
    @discardableResult
    private func keep(_ upload: Upload, object: AppendableObject, length: Int64, _ progress: ChunkProgress) async throws -> Upload {
        var kept = upload
        guard Int64(progress.hash.byteCount) == length else { return kept }
        kept.object = object
        kept.offset = length
        kept.hashState = progress.hash.saved
        kept.expiresAt = platform.now().addingTimeInterval(settings.expiry)
        // A checkpoint may have recorded exactly these bytes already.
        guard length != progress.recorded else { return kept }
        try await Task { [self, kept, from = progress.recorded] in try await record(kept, from: from) }.value
        progress.recorded = length
        return kept
    }

    private func record(_ upload: Upload, from offset: Int64) async throws {
        let moved = try await platform.transaction { [store] in try await store.advance(upload, from: offset, on: $0.sql) }
        guard moved else { throw Problem.conflict("The upload changed meanwhile; ask HEAD for its offset.") }
    }

    /// Makes the upload's object readable and records it complete, with its SHA-256 and the
    /// `uploads.upload.completed` event.
    func complete(_ upload: Upload, hash: ResumableSHA256, from offset: Int64) async throws -> Upload {
        var upload = upload
        try await storage { try await self.objects.complete(upload.object) }
        upload.offset = Int64(hash.byteCount)
        upload.hashState = hash.saved
        upload.sha256 = hash.hexDigest()
        upload.completedAt = platform.now()
        let finished = upload
        try await platform.transaction { [store] transaction in
            guard try await store.advance(finished, from: offset, on: transaction.sql) else {
                throw Problem.conflict("The upload changed meanwhile; ask HEAD for its offset.")
            }
            try await Self.emitCompleted(finished, in: transaction)
            if finished.concatenation == .partial {
                // Final uploads made before this part finished are assembled by a job, which
                // survives this node: the part's completion and the job commit together. The
                // part's lock orders this against a final upload being made of it right now.
                try await transaction.lock(Self.partLock, finished.id)
                for final in try await store.finalsWaiting(for: finished.id, on: transaction.sql) {
                    try await transaction.enqueue(FinalAssembly.job(final.id, after: finished.id))
                }
            }
        }
        metrics.completed.increment()
        return finished
    }

    static func emitCompleted(_ upload: Upload, in transaction: Transaction) async throws {
        try await transaction.emit(
            UploadsEvents.completed, aggregate: upload.id,
            json: UploadCompleted(
                id: upload.id, ownerId: upload.ownerId, length: upload.offset, sha256: upload.sha256 ?? "",
                metadata: upload.metadata.flatMap(UploadMetadata.init)?.values ?? [:]
            ),
            owner: upload.ownerId
        )
    }
}
