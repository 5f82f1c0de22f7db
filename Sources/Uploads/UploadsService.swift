import ApusCore
import ApusKit
import Foundation
import Logging
import NIOCore

/// The uploads module's domain service: creating uploads, appending chunks under the upload's
/// lock (`+Appending`), concatenating (`+Concatenation`), the quota (`+Quota`), serving files
/// (`+Files`), terminating and expiring. Routes only translate tus headers to calls.
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

    /// From the primary: tus clients resume from the offset it gives, and send no
    /// `Apus-Consistency`, so a replica's older offset would make them resend or fail.
    func find(_ id: String) async throws -> Upload? {
        try await platform.read.primary { [store] in try await store.find(id, on: $0) }
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
            try await withinQuota(of: owner, keeping: length ?? 0) { [store, upload] transaction in
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

    // MARK: Removing

    /// Removes the upload `id` and its bytes (tus termination); 423 while a chunk is written.
    func terminate(_ id: String, by principal: Principal) async throws {
        _ = try await owned(id, by: principal)
        let removed: Void? = try await platform.withExclusiveLock("uploads", id) {
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
        try await platform.transaction { [store] in try await store.delete(upload.id, on: $0.sql) }
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
        let expired = try await platform.read { [store, now = platform.now()] in try await store.expired(before: now, limit: limit, on: $0) }
        var removed = 0
        for upload in expired {
            // One being written right now is left for the next sweep; one that moved on since
            // it was read (finished, or given a new expiry by a chunk) stays.
            let gone = try await platform.withExclusiveLock("uploads", upload.id) { () -> Bool in
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
        let counts = try await platform.read { [store, now = platform.now()] in try await store.countByState(at: now, on: $0) }
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

    func storageProblem(_ error: any Error) throws -> any Error {
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
