import ApusCore
import Foundation

/// The per-user quota: every byte the server keeps for an owner counts against it from the
/// moment it is accepted, and each check and the write it allows happen in one transaction that
/// holds the owner's quota lock, so concurrent requests of one owner cannot each pass a check
/// that together they break.
extension UploadsService {
    /// The lock the quota checks of one owner share.
    static let quotaLock = "uploads-quota"

    static func overQuota(_ quota: Int64) -> Problem {
        Problem(.contentTooLarge, detail: "This would take your uploads past your quota of \(quota) bytes.", type: UploadsModule.quotaExceeded)
    }

    /// Runs `body` in a transaction holding `owner`'s quota lock, given the bytes the owner holds
    /// besides the upload `excluded`.
    func underQuota<Result: Sendable>(
        of owner: String, besides excluded: String? = nil, _ body: @Sendable (_ others: Int64, Transaction) async throws -> Result
    ) async throws -> Result {
        try await platform.transaction { [store] transaction in
            try await transaction.lock(Self.quotaLock, owner)
            let others = try await store.bytesHeld(by: owner, besides: excluded, on: transaction.sql)
            return try await body(others, transaction)
        }
    }

    /// Runs `body` in a transaction holding `owner`'s quota lock if the owner may keep `bytes`
    /// besides what it holds in uploads other than `excluded`; 413 otherwise.
    func withinQuota<Result: Sendable>(
        of owner: String, besides excluded: String? = nil, keeping bytes: Int64, _ body: @Sendable (Transaction) async throws -> Result
    ) async throws -> Result {
        try await underQuota(of: owner, besides: excluded) { [quota = settings.quota] others, transaction in
            guard others + bytes <= quota else { throw Self.overQuota(quota) }
            return try await body(transaction)
        }
    }

    /// A quick check before any work is done (the binding one is made with the write).
    func checkQuota(owner: String, adding bytes: Int64) async throws {
        let held = try await platform.read.primary { [store] in try await store.bytesHeld(by: owner, on: $0) }
        guard held + bytes <= settings.quota else { throw Self.overQuota(settings.quota) }
    }

    /// Reserves for a chunk of the deferred-length `upload` the room left in its owner's quota
    /// (and below the largest upload allowed), and returns it; 413 when there is none.
    func holdRoom(for upload: Upload) async throws -> Int64 {
        let quota = settings.quota
        let maxSize = settings.maxSize
        return try await underQuota(of: upload.ownerId, besides: upload.id) { [store] others, transaction in
            let room = min(quota - others, maxSize) - upload.offset
            guard room > 0 else { throw Self.overQuota(quota) }
            // Held as a ceiling, so the bytes the chunk records as it goes are not counted twice.
            try await store.setQuotaHold(upload.id, upload.offset + room, on: transaction.sql)
            return room
        }
    }

    /// Gives back what a chunk held but did not write.
    func releaseRoom(of id: String) async {
        do {
            // In a task of its own: a request cancelled by shutdown still gives the room back.
            try await Task { [store, platform] in
                try await platform.transaction { try await store.setQuotaHold(id, 0, on: $0.sql) }
            }.value
        } catch {
            // Left held, the room comes back with the upload's next chunk or its expiry.
            logger.warning("quota hold not released", metadata: ["upload": "\(id)", "error": "\(error)"])
        }
    }
}
