import ApusCore
import ApusKit
import Foundation
import Logging
import NIOCore

/// The uploads module's domain service: creating uploads, appending chunks under the upload's
/// lock, concatenating, terminating and expiring. Routes only translate tus headers to calls.
final class UploadsService: Sendable {
    let platform: Platform
    let settings: UploadsSettings
    let store = UploadStore()
    let metrics: UploadMetrics
    let logger: Logger

    init(platform: Platform, settings: UploadsSettings) {
        self.platform = platform
        self.settings = settings
        self.metrics = UploadMetrics(registry: platform.metrics)
        self.logger = platform.logger(module: UploadsModule.name)
    }

    var objects: any ObjectStore { platform.objects }

    // MARK: Finding

    /// The upload `id` if `principal` owns it (or is an admin); else 404.
    func owned(_ id: String, by principal: Principal) async throws -> Upload {
        guard OpaqueID.isWellFormed(id), let upload = try await find(id), principal.mayAccess(ownedBy: upload.ownerId) else {
            throw Problem.notFound("No upload \(id).")
        }
        return upload
    }

    /// Like ``owned(_:by:)``, and 410 for an unfinished upload past its expiry.
    /// A final upload still waiting for its parts is gone when one of them is, and expires when
    /// the first of its unfinished parts does.
    func live(_ id: String, by principal: Principal) async throws -> Upload {
        let upload = try await owned(id, by: principal)
        guard !upload.isExpired(at: platform.now()) else { throw Problem(.gone, detail: "The upload \(id) expired unfinished.") }
        if upload.isWaitingFinal { return try await waitingFinal(upload) }
        return upload
    }

    func find(_ id: String) async throws -> Upload? {
        try await platform.database.read { [store] in try await store.find(id, on: $0) }
    }

    // MARK: Creating

    /// Creates an empty upload of `length` bytes (`nil`: deferred) for `owner`.
    func create(length: Int64?, metadata: UploadMetadata?, partial: Bool, owner: String) async throws -> Upload {
        // A partial upload is a piece: the final upload made of it declares the type.
        if !partial { try checkType(metadata) }
        if let length { try checkSize(length) }
        try await checkQuota(owner: owner, adding: length ?? 0)
        let now = platform.now()
        let id = OpaqueID.make("upl", at: now)
        let object = try await storage { try await self.objects.beginAppendable(Self.objectKey(id)) }
        var upload = Upload(
            id: id, ownerId: owner, length: length, offset: 0, metadata: metadata?.header, concatenation: partial ? .partial : .none,
            object: object, hashState: ResumableSHA256().saved, sha256: nil, createdAt: now,
            expiresAt: now.addingTimeInterval(settings.expiry), completedAt: nil
        )
        do {
            try await underQuota(of: owner) { [store, upload, quota = settings.quota] others, transaction in
                guard others + (length ?? 0) <= quota else { throw Self.overQuota(quota) }
                try await store.insert(upload, on: transaction.sql)
            }
        } catch {
            try? await objects.abort(object)
            throw error
        }
        if length == 0 { upload = try await complete(upload, hash: ResumableSHA256(), from: 0) }
        return upload
    }

    /// 415 unless the type the metadata declares (none: `application/octet-stream`) is allowed.
    func checkType(_ metadata: UploadMetadata?) throws {
        let type = ServedContentType(metadata: metadata?.values ?? [:]).mediaType
        guard settings.allowedTypes.allows(type) else {
            throw Problem(
                .unsupportedMediaType,
                detail: "Files of type \(type) are not accepted here (declare it as filetype in Upload-Metadata); allowed: \(settings.allowedTypes.entries.joined(separator: ", "))."
            )
        }
    }

    func checkSize(_ length: Int64) throws {
        guard length <= settings.maxSize else {
            throw Problem(.contentTooLarge, detail: "An upload is at most \(settings.maxSize) bytes.")
        }
    }

    /// The lock a partial upload's completion and the making of a final upload of it share.
    static let partLock = "uploads-part"

    static func objectKey(_ id: String) -> ObjectKey {
        guard let key = ObjectKey("uploads/\(id)") else { preconditionFailure("an upload id is a key segment") }
        return key
    }

    // MARK: Appending

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
        let appended = try await platform.database.withExclusiveLock("uploads", id) {
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
                try await underQuota(of: upload.ownerId, besides: id) { [store, quota = settings.quota] others, transaction in
                    guard others + declared <= quota else { throw Self.overQuota(quota) }
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
                try await self.recordProgress(upload, object: object, length: length, progress)
            }
        } catch let interrupted as AppendInterrupted {
            metrics.bytesReceived.increment(by: Int64(progress.hash.byteCount) - start)
            // What arrived before the connection dropped (or the node began shutting down) is
            // kept, and HEAD will say so.
            let kept = try await keep(upload, interrupted, progress)
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

    /// Records that `length` bytes are durable, if the hash covers exactly those.
    private func recordProgress(_ upload: Upload, object: AppendableObject, length: Int64, _ progress: ChunkProgress) async throws {
        guard Int64(progress.hash.byteCount) == length, length != progress.recorded else { return }
        var upload = upload
        upload.object = object
        upload.offset = length
        upload.hashState = progress.hash.saved
        upload.expiresAt = platform.now().addingTimeInterval(settings.expiry)
        try await record(upload, from: progress.recorded)
        progress.recorded = length
    }

    /// Records what an interrupted chunk left stored, in a task of its own so that a request
    /// cancelled by shutdown keeps its bytes as one whose client went away does.
    private func keep(_ upload: Upload, _ interrupted: AppendInterrupted, _ progress: ChunkProgress) async throws -> Upload {
        var kept = upload
        let length = interrupted.length
        guard Int64(progress.hash.byteCount) == length else { return kept }
        kept.object = interrupted.object
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
        let moved = try await platform.database.write { [store] in try await store.advance(upload, from: offset, on: $0) }
        guard moved else { throw Problem.conflict("The upload changed meanwhile; ask HEAD for its offset.") }
    }

    /// Makes the upload's object readable and records it complete, with its SHA-256 and the
    /// `uploads.upload.completed` event.
    private func complete(_ upload: Upload, hash: ResumableSHA256, from offset: Int64) async throws -> Upload {
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
            "uploads.upload.completed", aggregate: upload.id,
            json: UploadCompleted(
                id: upload.id, ownerId: upload.ownerId, length: upload.offset, sha256: upload.sha256 ?? "",
                metadata: upload.metadata.flatMap(UploadMetadata.init)?.values ?? [:]
            ),
            owner: upload.ownerId
        )
    }

    // MARK: Removing

    /// Removes the upload `id` and its bytes (tus termination); 423 while a chunk is written.
    func terminate(_ id: String, by principal: Principal) async throws {
        _ = try await owned(id, by: principal)
        let removed: Void? = try await platform.database.withExclusiveLock("uploads", id) {
            // As it is now, under the lock: it may have finished since it was looked up.
            guard let upload = try await self.find(id) else { return }
            try await self.remove(upload)
        }
        guard removed != nil else {
            throw Problem(Tus.locked, detail: "A chunk of this upload is being written; try again.", headers: [.retryAfter: "1"])
        }
        metrics.terminated.increment()
    }

    func remove(_ upload: Upload) async throws {
        try await removeBytes(of: upload)
        try await platform.database.write { [store] in try await store.delete(upload.id, on: $0) }
    }

    func removeBytes(of upload: Upload) async throws {
        try await removeBytes(upload.object, complete: upload.isComplete, waitingFinal: upload.isWaitingFinal)
    }

    /// Removes an upload's bytes: a finished file's object, or an unfinished one's appendable
    /// object. A missing object is a 404 problem.
    func removeBytes(_ object: AppendableObject, complete: Bool, waitingFinal: Bool) async throws {
        // A final upload still waiting for its parts has no bytes, unless an assembly stopped
        // between writing them and recording it.
        if waitingFinal {
            try? await objects.delete(object.key)
            return
        }
        try await storage {
            if complete { try await self.objects.delete(object.key) } else { try await self.objects.abort(object) }
        }
    }

    /// Removes unfinished uploads past their expiry, with their bytes; returns how many went.
    func removeExpired(limit: Int = 100) async throws -> Int {
        let expired = try await platform.database.read { [store, now = platform.now()] in try await store.expired(before: now, limit: limit, on: $0) }
        var removed = 0
        for upload in expired {
            // One being written right now is left for the next sweep; one that moved on since
            // it was read (finished, or given a new expiry by a chunk) stays.
            let gone = try await platform.database.withExclusiveLock("uploads", upload.id) { () -> Bool in
                guard let current = try await self.find(upload.id), current.isExpired(at: self.platform.now()) else { return false }
                try await self.remove(current)
                return true
            }
            if gone == true { removed += 1 }
        }
        metrics.expired.increment(by: Int64(removed))
        return removed
    }

    /// Counts the uploads in each state again for the `apus_uploads_stored` gauge.
    func refreshStoredGauge() async throws {
        let counts = try await platform.database.read { [store, now = platform.now()] in try await store.countByState(at: now, on: $0) }
        metrics.update(stored: counts)
    }

    /// Removes every upload of a deleted user, inside `transaction`; their bytes go by a job the
    /// transaction enqueues, so a rollback leaves each row with its bytes, and a failure of the
    /// store after the commit is retried rather than leaving bytes no row names.
    func removeUploads(of owner: String, in transaction: Transaction) async throws {
        for upload in try await store.uploads(of: owner, on: transaction.sql) {
            try await store.delete(upload.id, on: transaction.sql)
            try await transaction.enqueue(RemovedUploadBytes.job(for: upload))
        }
    }

    // MARK: Storage errors

    /// Runs a store operation; a failure of the store becomes a 503 and is counted.
    func storage<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw try storageProblem(error)
        }
    }

    private func storageProblem(_ error: any Error) throws -> any Error {
        guard let failure = error as? ObjectStoreError else { return error }
        if case .storage(let detail) = failure {
            metrics.storageErrors.increment()
            logger.error("object store failed", metadata: ["error": "\(detail)"])
            return Problem(.serviceUnavailable, detail: "File storage is unavailable; try again later.", headers: [.retryAfter: "5"])
        }
        if case .offsetMismatch = failure {
            return Problem.conflict("The stored bytes and the upload's offset disagree; ask HEAD for its offset.")
        }
        return Problem.notFound("The upload's bytes are gone.")
    }
}

/// The digests of one chunk as its bytes go by, and the offset last recorded in the database.
/// Used by one request at a time, under the upload's lock.
final class ChunkProgress {
    var hash: ResumableSHA256
    var piece: ChunkHasher?
    var recorded: Int64

    init(hash: ResumableSHA256, checksum: UploadChecksum?, recorded: Int64) {
        self.hash = hash
        self.piece = checksum?.makeHasher()
        self.recorded = recorded
    }

    func observe(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { hash.update($0) }
        piece?.update(buffer)
    }

    func chunkDigest() -> [UInt8]? { piece?.finalize() }
}
