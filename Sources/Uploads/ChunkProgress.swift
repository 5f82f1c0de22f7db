import ApusKit
import NIOCore

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
