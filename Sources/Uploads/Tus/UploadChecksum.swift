import Crypto
import Foundation
import NIOCore

/// `Upload-Checksum: <algorithm> <Base64 digest>` of one chunk.
struct UploadChecksum: Sendable {
    enum Algorithm: String, Sendable {
        case sha1, sha256, md5
    }

    let algorithm: Algorithm
    let digest: [UInt8]

    enum ParseError: Error {
        case unsupportedAlgorithm
        case malformed
    }

    init(_ header: String) throws(ParseError) {
        let parts = header.split(separator: " ")
        guard parts.count == 2 else { throw .malformed }
        guard let algorithm = Algorithm(rawValue: parts[0].lowercased()) else { throw .unsupportedAlgorithm }
        guard let digest = Data(base64Encoded: String(parts[1])) else { throw .malformed }
        self.algorithm = algorithm
        self.digest = Array(digest)
    }

    /// A hasher for this checksum's algorithm.
    func makeHasher() -> ChunkHasher { ChunkHasher(algorithm) }
}

/// The running digest of one chunk.
struct ChunkHasher {
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()
    private var md5 = Insecure.MD5()
    private let algorithm: UploadChecksum.Algorithm

    init(_ algorithm: UploadChecksum.Algorithm) {
        self.algorithm = algorithm
    }

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            switch algorithm {
            case .sha1: sha1.update(bufferPointer: bytes)
            case .sha256: sha256.update(bufferPointer: bytes)
            case .md5: md5.update(bufferPointer: bytes)
            }
        }
    }

    func finalize() -> [UInt8] {
        switch algorithm {
        case .sha1: Array(sha1.finalize())
        case .sha256: Array(sha256.finalize())
        case .md5: Array(md5.finalize())
        }
    }
}
