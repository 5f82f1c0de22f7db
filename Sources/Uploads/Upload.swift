import ApusCore
import ApusKit
import Foundation

/// One tus upload: who owns it, how far it got, and where its bytes are.
struct Upload: Sendable {
    var id: String
    var ownerId: String
    /// The declared length; `nil` while deferred (`Upload-Defer-Length: 1`).
    var length: Int64?
    /// Bytes received and durable.
    var offset: Int64
    var metadata: String?
    var concatenation: Concatenation
    /// The object its bytes go to, with the store's state of it.
    var object: AppendableObject
    /// The whole file's SHA-256 so far, saved (``ResumableSHA256/saved``).
    var hashState: [UInt8]
    /// The whole file's SHA-256 in hex, once complete.
    var sha256: String?
    var createdAt: Date
    var expiresAt: Date
    var completedAt: Date?
    /// Whether its owner serves the finished file to anyone, signed in or not.
    var isPublic = false

    var isComplete: Bool { completedAt != nil }

    /// Whether it is a file `GET /v1/files/{id}` serves: finished, and not a piece meant for a
    /// final upload.
    var isFile: Bool { isComplete && concatenation != .partial }

    /// Whether it is a final upload still waiting for some of its parts
    /// (`concatenation-unfinished`): it has no bytes of its own until they are all finished.
    var isWaitingFinal: Bool {
        if case .final = concatenation { !isComplete } else { false }
    }

    /// Whether it is past its expiry without having been finished. A waiting final upload lives
    /// as long as its parts do, which ``UploadsService/live(_:by:)`` checks.
    func isExpired(at now: Date) -> Bool { !isComplete && !isWaitingFinal && expiresAt <= now }

    /// Where an upload stands, as `/metrics` counts them.
    enum State: String, CaseIterable, Sendable {
        /// Taking chunks.
        case unfinished
        /// Past its expiry unfinished, until the sweep removes it.
        case expired
        /// Finished: a file.
        case completed
    }

    /// What the upload is to concatenation.
    enum Concatenation: Sendable, Equatable {
        /// An ordinary upload.
        case none
        /// A piece meant for a final upload.
        case partial
        /// The concatenation of these partial uploads, in order.
        case final([String])

        /// The `Upload-Concat` header value, with the parts as paths.
        var header: String? {
            switch self {
            case .none: nil
            case .partial: "partial"
            case .final(let parts): "final;" + parts.map { "\(UploadRoutes.base)/\($0)" }.joined(separator: " ")
            }
        }
    }
}

/// What `uploads.upload.completed` carries.
struct UploadCompleted: Encodable {
    var id: String
    var ownerId: String
    var length: Int64
    var sha256: String
    var metadata: [String: String]
}
