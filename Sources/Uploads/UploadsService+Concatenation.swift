import ApusCore
import ApusKit
import Foundation

/// tus concatenation: a final upload made of partial uploads, in order. Its parts may still be
/// in progress when it is made (`concatenation-unfinished`); it is assembled when the last one
/// finishes, by a job that the part's completion enqueues, with the expiry sweep as a backstop.
extension UploadsService {
    /// Creates a final upload of the partial uploads `parts` (all the caller's, none expired):
    /// complete at once when they are all finished, else waiting for them.
    func concatenate(_ parts: [String], metadata: UploadMetadata?, by principal: Principal) async throws -> Upload {
        guard (1...100).contains(parts.count) else { throw Problem.badRequest("A final upload names 1-100 partial uploads.") }
        try checkType(metadata)
        let now = platform.now()
        var pieces: [Upload] = []
        for id in parts {
            guard OpaqueID.isWellFormed(id), let part = try await find(id), principal.mayAccess(ownedBy: part.ownerId) else {
                throw Problem.badRequest("Upload-Concat names \(id), which is no upload of yours.")
            }
            guard part.concatenation == .partial else { throw Problem.badRequest("\(id) is not a partial upload.") }
            guard !part.isExpired(at: now) else { throw Problem.badRequest("\(id) expired unfinished.") }
            pieces.append(part)
        }
        let length = Self.length(of: pieces)
        if let length {
            try checkSize(length)
            try await checkQuota(owner: principal.userID, adding: length)
        }
        let id = OpaqueID.make("upl", at: now)
        let final = Upload(
            id: id, ownerId: principal.userID, length: length, offset: 0, metadata: metadata?.header,
            concatenation: .final(parts), object: AppendableObject(key: Self.objectKey(id), state: ""), hashState: ResumableSHA256().saved,
            sha256: nil, createdAt: now, expiresAt: pieces.map(\.expiresAt).max() ?? now, completedAt: nil
        )
        if pieces.allSatisfy(\.isComplete) { return try await assemble(final, of: pieces, inserting: true) }
        // Each unfinished part's lock, in one order: a part finishing now commits either before
        // this (and the check below sees it finished) or after (and its commit finds this final).
        let unfinished = Set(pieces.filter { !$0.isComplete }.map(\.id)).sorted()
        try await withinQuota(of: principal.userID, keeping: length ?? 0) { [store] transaction in
            for part in unfinished { try await transaction.lock(Self.partLock, part) }
            try await store.insert(final, on: transaction.sql)
        }
        if case .complete(let assembled) = try await assembleIfReady(id) { return assembled }
        return try await waitingFinal(final)
    }

    /// What an attempt to assemble a final upload came to.
    enum Assembly: Sendable {
        /// It is complete (now, or already was).
        case complete(Upload)
        /// A part is unfinished, or it is gone.
        case notReady
        /// Another request or node holds its lock, and is assembling or removing it.
        case busy
    }

    /// Assembles the final upload `id` if all its parts are finished and no one else is at it.
    @discardableResult
    func assembleIfReady(_ id: String) async throws -> Assembly {
        let outcome: Assembly? = try await platform.withExclusiveLock("uploads", id) {
            guard let final = try await self.find(id), case .final(let ids) = final.concatenation else { return .notReady }
            if final.isComplete { return .complete(final) }
            var pieces: [Upload] = []
            for part in ids {
                guard let piece = try await self.find(part), piece.isComplete else { return .notReady }
                pieces.append(piece)
            }
            do {
                // Its parts' lengths may have been deferred, so their sum is checked only now;
                // the quota is checked again as the assembly is recorded.
                try self.checkSize(pieces.reduce(Int64(0)) { $0 + ($1.length ?? 0) })
                return .complete(try await self.assemble(final, of: pieces, inserting: false))
            } catch let problem as Problem where problem.status == .contentTooLarge {
                self.logger.notice("final upload refused at assembly", metadata: ["upload": "\(id)", "reason": "\(problem.detail ?? problem.title)"])
                try await self.remove(final)
                return .notReady
            }
        }
        return outcome ?? .busy
    }

    /// A waiting final upload as a client sees it: its length once every part's is known, and
    /// the expiry of its first unfinished part; 410 when a part is gone or expired.
    func waitingFinal(_ final: Upload) async throws -> Upload {
        guard case .final(let ids) = final.concatenation else { return final }
        let now = platform.now()
        var pieces: [Upload] = []
        for id in ids {
            guard let piece = try await find(id), !piece.isExpired(at: now) else {
                throw Problem(.gone, detail: "A part of the final upload \(final.id) expired or was removed; it cannot be finished.")
            }
            pieces.append(piece)
        }
        var shown = final
        shown.length = Self.length(of: pieces)
        shown.expiresAt = pieces.filter { !$0.isComplete }.map(\.expiresAt).min() ?? final.expiresAt
        return shown
    }

    /// Goes through the waiting final uploads: assembles those whose parts are all finished (in
    /// case a node died before its job ran) and removes those with a part gone or expired.
    /// Returns how many were removed.
    func settleWaitingFinals(batch: Int = 100) async throws -> Int {
        var cursor = ""
        var removed = 0
        while true {
            let finals = try await platform.read { [store, cursor] in try await store.waitingFinals(after: cursor, limit: batch, on: $0) }
            for final in finals {
                // One final whose store fails is left for the next sweep, not the others.
                do {
                    if try await removeIfPartGone(final.id) {
                        removed += 1
                    } else {
                        try await assembleIfReady(final.id)
                    }
                } catch {
                    logger.warning("waiting final upload not settled", metadata: ["upload": "\(final.id)", "error": "\(error)"])
                }
            }
            guard finals.count == batch, let last = finals.last else { break }
            cursor = last.id
        }
        metrics.expired.increment(by: Int64(removed))
        return removed
    }

    /// Removes the final upload `id` if it is still waiting and a part of it is gone or
    /// expired, reading it again under its lock (it may have been assembled meanwhile).
    private func removeIfPartGone(_ id: String) async throws -> Bool {
        let removed = try await platform.withExclusiveLock("uploads", id) { () -> Bool in
            guard let final = try await self.find(id), final.isWaitingFinal else { return false }
            do {
                _ = try await self.waitingFinal(final)
                return false
            } catch let problem as Problem where problem.status == .gone {
                try await self.remove(final)
                return true
            }
        }
        return removed ?? false
    }

    /// Writes the parts' bytes, in order, into the final upload's object, hashes them, and
    /// records it complete with its `uploads.upload.completed` event.
    private func assemble(_ final: Upload, of pieces: [Upload], inserting: Bool) async throws -> Upload {
        let key = final.object.key
        _ = try await storage { try await self.objects.compose(key, from: pieces.map(\.object.key)) }
        var hash = ResumableSHA256()
        try await storage { try await self.objects.read(key, range: nil) { buffer in buffer.withUnsafeReadableBytes { hash.update($0) } } }
        var done = final
        done.length = Int64(hash.byteCount)
        done.offset = Int64(hash.byteCount)
        done.hashState = hash.saved
        done.sha256 = hash.hexDigest()
        done.completedAt = platform.now()
        let finished = done
        let recorded: Bool
        do {
            // Every byte the final keeps counts: checked with the owner's quota lock held, so
            // finals assembled at once, on any node, are counted one after another.
            recorded = try await withinQuota(of: final.ownerId, besides: final.id, keeping: finished.offset) { [store] transaction in
                try await Self.record(finished, inserting: inserting, store: store, in: transaction)
            }
        } catch let problem as Problem where problem.status == .contentTooLarge {
            try? await objects.delete(key)
            throw problem
        }
        guard recorded else {
            // Terminated while it was being assembled: its bytes go too. (Assembled by another
            // node that had lost track of the lock: the same bytes, recorded once, stay.)
            guard let current = try await find(final.id) else {
                try? await objects.delete(key)
                throw Problem.notFound("No upload \(final.id).")
            }
            return current
        }
        metrics.completed.increment()
        return finished
    }

    /// Records an assembled final upload complete (inserting it when it was made complete at
    /// once), with its event; `false` when it was removed meanwhile.
    private static func record(_ finished: Upload, inserting: Bool, store: UploadStore, in transaction: Transaction) async throws -> Bool {
        if inserting {
            try await store.insert(finished, on: transaction.sql)
        } else {
            guard try await store.completeFinal(finished, on: transaction.sql) else { return false }
        }
        try await emitCompleted(finished, in: transaction)
        return true
    }

    /// The sum of the parts' lengths, once all are known.
    private static func length(of pieces: [Upload]) -> Int64? {
        var total: Int64 = 0
        for piece in pieces {
            guard let length = piece.length else { return nil }
            total += length
        }
        return total
    }
}
