import ApusCore
import Foundation
import NIOCore

/// Finished uploads as files: finding one for a reader, listing, publishing, reading its bytes.
extension UploadsService {
    /// The finished file `id` as `principal` may read it: anyone's public file, with or without
    /// credentials; otherwise the caller's own (any, for an admin). Without credentials a file
    /// that is not public is a 401; someone else's, an unfinished upload or none at all, a 404.
    func file(_ id: String, by principal: Principal?) async throws -> Upload {
        let found = OpaqueID.isWellFormed(id) ? try await find(id) : nil
        if let found, found.isFile, found.isPublic { return found }
        guard let principal else { throw Problem.unauthorized("This file is not public; sign in to read it.") }
        guard principal.has(UploadsModule.write) else { throw Problem(.forbidden, detail: "This needs the '\(UploadsModule.write.name)' permission.") }
        guard let found, found.isFile, principal.mayAccess(ownedBy: found.ownerId) else { throw Problem.notFound("No file \(id).") }
        return found
    }

    /// The finished file `id` if `principal` owns it (or is an admin); else 404.
    func ownedFile(_ id: String, by principal: Principal) async throws -> Upload {
        let upload = try await owned(id, by: principal)
        guard upload.isFile else { throw Problem.notFound("No file \(id).") }
        return upload
    }

    /// A page of finished files by id: the caller's, or everyone's for an admin.
    func files(for principal: Principal, limit: Int, after cursor: String?) async throws -> [Upload] {
        try await platform.read { [store] connection in
            try await store.files(owner: principal.listedOwner, limit: limit, after: cursor, on: connection)
        }
    }

    /// Serves `upload` to anyone, or only to its owner and admins again.
    func setPublic(_ upload: Upload, _ isPublic: Bool) async throws -> Upload {
        try await platform.transaction { [store] in try await store.setPublic(upload.id, isPublic, on: $0.sql) }
        var changed = upload
        changed.isPublic = isPublic
        return changed
    }

    /// Fails with 404 when the file's bytes are gone and 503 when the store cannot say, so that a
    /// download only starts when it can be served.
    func checkBytes(of upload: Upload) async throws {
        guard try await storage({ try await self.objects.size(of: upload.object.key) }) != nil else {
            throw Problem.notFound("The bytes of file \(upload.id) are gone.")
        }
    }

    /// Hands the bytes of `upload` in `range` to `consume` as the store reads them.
    func read(_ upload: Upload, range: Range<Int64>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        do {
            try await objects.read(upload.object.key, range: range, consume)
        } catch let failure as ObjectStoreError {
            if case .storage(let detail) = failure {
                metrics.storageErrors.increment()
                logger.error("object store failed while a file was read", metadata: ["error": "\(detail)"])
            }
            throw failure
        }
    }
}
