import HTTPTypes

/// The header names and fixed values of tus 1.0.
enum Tus {
    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,concatenation,concatenation-unfinished"
    static let checksumAlgorithms = "sha1,sha256,md5"
    /// The content type of every chunk.
    static let chunkContentType = "application/offset+octet-stream"

    static let resumable = HTTPField.Name("Tus-Resumable")!
    static let versionHeader = HTTPField.Name("Tus-Version")!
    static let extensionHeader = HTTPField.Name("Tus-Extension")!
    static let maxSize = HTTPField.Name("Tus-Max-Size")!
    static let checksumAlgorithmHeader = HTTPField.Name("Tus-Checksum-Algorithm")!
    static let uploadOffset = HTTPField.Name("Upload-Offset")!
    static let uploadLength = HTTPField.Name("Upload-Length")!
    static let uploadDeferLength = HTTPField.Name("Upload-Defer-Length")!
    static let uploadMetadata = HTTPField.Name("Upload-Metadata")!
    static let uploadExpires = HTTPField.Name("Upload-Expires")!
    static let uploadChecksum = HTTPField.Name("Upload-Checksum")!
    static let uploadConcat = HTTPField.Name("Upload-Concat")!
    static let methodOverride = HTTPField.Name("X-HTTP-Method-Override")!

    /// 460, tus's status for a chunk whose checksum does not match.
    static let checksumMismatch = HTTPResponse.Status(code: 460, reasonPhrase: "Checksum Mismatch")
    /// 423: another request is writing this upload right now.
    static let locked = HTTPResponse.Status(code: 423, reasonPhrase: "Locked")

    /// A non-negative byte count as tus headers write it: digits only, no sign, at most 19.
    static func byteCount(_ text: String?) -> Int64? {
        guard let text, (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }
}
