import ApusCore
import Foundation
import Hummingbird

/// A finished upload as `/v1/files` describes it.
struct UploadedFile: Encodable, ResponseEncodable, Sendable {
    var id: String
    var ownerId: String
    var length: Int64
    var sha256: String
    var contentType: String
    var filename: String?
    var metadata: [String: String]
    var isPublic: Bool
    var url: String
    var createdAt: Date
    var completedAt: Date

    init(_ upload: Upload) {
        let metadata = upload.metadata.flatMap(UploadMetadata.init)?.values ?? [:]
        id = upload.id
        ownerId = upload.ownerId
        length = upload.offset
        sha256 = upload.sha256 ?? ""
        contentType = ServedContentType(metadata: metadata).mediaType
        filename = metadata["filename"]
        self.metadata = metadata
        isPublic = upload.isPublic
        url = "\(FileRoutes.base)/\(upload.id)"
        createdAt = upload.createdAt
        completedAt = upload.completedAt ?? upload.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, ownerId, length, sha256, contentType, filename, metadata, url, createdAt, completedAt
        case isPublic = "public"
    }
}

/// `PATCH /v1/files/{id}`: what an owner may change about a finished file.
struct FilePatch: Decodable, Sendable {
    /// Serve the file to anyone (`true`) or only to its owner and admins.
    var isPublic: Bool

    enum CodingKeys: String, CodingKey {
        case isPublic = "public"
    }
}
