import ApusCore
import ApusKit
import Foundation
import SQLKit

/// Uploads in `uploads_uploads`: the module's SQL, run on the connection it is given.
struct UploadStore: Sendable {
    static let columns = """
        id, owner_id, upload_length, upload_offset, metadata, concat, parts, object_key, object_state, hash_state, sha256, \
        created_at, expires_at, completed_at, is_public
        """

    func insert(_ upload: Upload, on connection: any SQLDatabase) async throws {
        let (concat, parts) = Self.encode(upload.concatenation)
        try await connection.raw("""
            INSERT INTO uploads_uploads (\(unsafeRaw: Self.columns))
            VALUES (\(bind: upload.id), \(bind: upload.ownerId), \(bind: upload.length), \(bind: upload.offset), \(bind: upload.metadata),
                    \(bind: concat), \(bind: parts), \(bind: upload.object.key.path), \(bind: upload.object.state),
                    \(bind: Self.hex(upload.hashState)), \(bind: upload.sha256), \(bind: Timestamp.format(upload.createdAt)),
                    \(bind: Timestamp.format(upload.expiresAt)), \(bind: upload.completedAt.map(Timestamp.format)), \(bind: upload.isPublic ? 1 : 0))
            """).run()
    }

    func find(_ id: String, on connection: any SQLDatabase) async throws -> Upload? {
        try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM uploads_uploads WHERE id = \(bind: id)").first().map(Self.upload(from:))
    }

    /// Records progress: the new offset, the hash and object state that go with it, and maybe a
    /// length that was deferred, a completion and a new expiry. Only if the stored offset is
    /// still `from`, so a writer that lost its lock can never move the upload backwards.
    func advance(_ upload: Upload, from offset: Int64, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("""
            UPDATE uploads_uploads SET upload_offset = \(bind: upload.offset), upload_length = \(bind: upload.length),
                object_state = \(bind: upload.object.state), hash_state = \(bind: Self.hex(upload.hashState)),
                sha256 = \(bind: upload.sha256), expires_at = \(bind: Timestamp.format(upload.expiresAt)),
                completed_at = \(bind: upload.completedAt.map(Timestamp.format))
            WHERE id = \(bind: upload.id) AND upload_offset = \(bind: offset)
            RETURNING id
            """).first() != nil
    }

    /// A page of finished files by id, of `owner` (everyone's when `nil`), after `cursor`.
    func files(owner: String?, limit: Int, after cursor: String?, on connection: any SQLDatabase) async throws -> [Upload] {
        try await connection.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM uploads_uploads
            WHERE id > \(bind: cursor ?? "") AND (\(bind: owner) IS NULL OR owner_id = \(bind: owner))
              AND completed_at IS NOT NULL AND concat <> 'partial'
            ORDER BY id LIMIT \(bind: limit)
            """).all().map(Self.upload(from:))
    }

    /// Marks the upload `id` public or not.
    func setPublic(_ id: String, _ isPublic: Bool, on connection: any SQLDatabase) async throws {
        try await connection.raw("UPDATE uploads_uploads SET is_public = \(bind: isPublic ? 1 : 0) WHERE id = \(bind: id)").run()
    }

    /// Sets a deferred length once.
    func setLength(_ id: String, _ length: Int64, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("""
            UPDATE uploads_uploads SET upload_length = \(bind: length) WHERE id = \(bind: id) AND upload_length IS NULL RETURNING id
            """).first() != nil
    }

    func delete(_ id: String, on connection: any SQLDatabase) async throws {
        try await connection.raw("DELETE FROM uploads_uploads WHERE id = \(bind: id)").run()
    }

    /// Every upload of `owner`.
    func uploads(of owner: String, on connection: any SQLDatabase) async throws -> [Upload] {
        try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM uploads_uploads WHERE owner_id = \(bind: owner)").all().map(Self.upload(from:))
    }

    /// Bytes `owner` holds, besides the upload `excluded`: the declared length of each upload;
    /// for one whose length is deferred, what arrived, or the ceiling a chunk in flight may
    /// write up to if that is more.
    func bytesHeld(by owner: String, besides excluded: String? = nil, on connection: any SQLDatabase) async throws -> Int64 {
        try await connection.raw("""
            SELECT CAST(COALESCE(SUM(COALESCE(upload_length, CASE WHEN upload_offset > quota_hold THEN upload_offset ELSE quota_hold END)), 0) AS BIGINT) AS held FROM uploads_uploads
            WHERE owner_id = \(bind: owner) AND id <> \(bind: excluded ?? "")
            """).first()?.decode(column: "held", as: Int64.self) ?? 0
    }

    /// Sets the offset a chunk of the deferred-length upload `id` may write up to (0 when none
    /// is in flight).
    func setQuotaHold(_ id: String, _ bytes: Int64, on connection: any SQLDatabase) async throws {
        try await connection.raw("UPDATE uploads_uploads SET quota_hold = \(bind: bytes) WHERE id = \(bind: id)").run()
    }

    /// How many uploads are in each state at `now`.
    func countByState(at now: Date, on connection: any SQLDatabase) async throws -> [Upload.State: Int] {
        let rows = try await connection.raw("""
            SELECT CASE WHEN completed_at IS NOT NULL THEN 'completed' WHEN concat = 'final' THEN 'unfinished' WHEN expires_at <= \(bind: Timestamp.format(now)) THEN 'expired' ELSE 'unfinished' END AS state,
                   CAST(COUNT(*) AS BIGINT) AS n
            FROM uploads_uploads GROUP BY 1
            """).all()
        var counts: [Upload.State: Int] = [:]
        for row in rows {
            guard let state = Upload.State(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
            counts[state] = Int(try row.decode(column: "n", as: Int64.self))
        }
        return counts
    }

    /// Unfinished uploads whose expiry has passed, oldest first.
    func expired(before now: Date, limit: Int, on connection: any SQLDatabase) async throws -> [Upload] {
        try await connection.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM uploads_uploads
            WHERE completed_at IS NULL AND expires_at <= \(bind: Timestamp.format(now)) AND concat <> 'final'
            ORDER BY expires_at LIMIT \(bind: limit)
            """).all().map(Self.upload(from:))
    }

    /// The final uploads still waiting for the partial upload `part` (whoever made them: an
    /// admin may concatenate another user's parts).
    func finalsWaiting(for part: String, on connection: any SQLDatabase) async throws -> [Upload] {
        try await connection.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM uploads_uploads
            WHERE concat = 'final' AND completed_at IS NULL AND parts LIKE \(bind: "%" + part + "%")
            """).all().map(Self.upload(from:)).filter { upload in
                if case .final(let parts) = upload.concatenation { parts.contains(part) } else { false }
            }
    }

    /// Records the final upload `upload` assembled, once: `false` when it is gone or another
    /// assembly recorded it first.
    func completeFinal(_ upload: Upload, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("""
            UPDATE uploads_uploads SET upload_offset = \(bind: upload.offset), upload_length = \(bind: upload.length),
                hash_state = \(bind: Self.hex(upload.hashState)), sha256 = \(bind: upload.sha256),
                completed_at = \(bind: upload.completedAt.map(Timestamp.format))
            WHERE id = \(bind: upload.id) AND concat = 'final' AND completed_at IS NULL
            RETURNING id
            """).first() != nil
    }

    /// Final uploads still waiting for parts, everyone's, by id after `cursor`.
    func waitingFinals(after cursor: String, limit: Int, on connection: any SQLDatabase) async throws -> [Upload] {
        try await connection.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM uploads_uploads
            WHERE concat = 'final' AND completed_at IS NULL AND id > \(bind: cursor)
            ORDER BY id LIMIT \(bind: limit)
            """).all().map(Self.upload(from:))
    }

    // MARK: Rows

    static func upload(from row: any SQLRow) throws -> Upload {
        let concat = try row.decode(column: "concat", as: String.self)
        let parts = try row.decode(column: "parts", as: String?.self)
        let key = try row.decode(column: "object_key", as: String.self)
        guard let objectKey = ObjectKey(key) else { throw Problem(.internalServerError, detail: "An upload's stored object key is damaged.") }
        return Upload(
            id: try row.decode(column: "id", as: String.self),
            ownerId: try row.decode(column: "owner_id", as: String.self),
            length: try row.decode(column: "upload_length", as: Int64?.self),
            offset: try row.decode(column: "upload_offset", as: Int64.self),
            metadata: try row.decode(column: "metadata", as: String?.self),
            concatenation: concat == "partial" ? .partial : concat == "final" ? .final((parts ?? "").split(separator: " ").map(String.init)) : .none,
            object: AppendableObject(key: objectKey, state: try row.decode(column: "object_state", as: String.self)),
            hashState: unhex(try row.decode(column: "hash_state", as: String.self)),
            sha256: try row.decode(column: "sha256", as: String?.self),
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? Date(timeIntervalSince1970: 0),
            expiresAt: Timestamp.parse(try row.decode(column: "expires_at", as: String.self)) ?? Date(timeIntervalSince1970: 0),
            completedAt: try row.decode(column: "completed_at", as: String?.self).flatMap(Timestamp.parse),
            isPublic: try row.decode(column: "is_public", as: Int.self) != 0
        )
    }

    static func encode(_ concatenation: Upload.Concatenation) -> (String, String?) {
        switch concatenation {
        case .none: ("", nil)
        case .partial: ("partial", nil)
        case .final(let parts): ("final", parts.joined(separator: " "))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.hexEncoded
    }

    static func unhex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in text.utf8 {
            let value: UInt8 = character <= 0x39 ? character - 0x30 : character - 0x61 + 10
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }
}
