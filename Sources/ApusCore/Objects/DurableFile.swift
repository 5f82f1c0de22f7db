#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A file opened for positioned reads and writes, with `fsync` where bytes are acknowledged.
/// Its calls block: ``LocalObjectStore`` runs them on its own threads.
final class DurableFile: Sendable {
    let descriptor: Int32

    /// Opens `path` for writing (creating it, `0600`) or reading.
    init(path: String, writing: Bool) throws(ObjectStoreError) {
        let flags = writing ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC)
        let descriptor = open(path, flags, 0o600)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw .notFound }
            throw Self.failure("open")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(ObjectStoreError) {
        var written = 0
        while written < bytes.count {
            let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("write")
            }
            written += result
        }
    }

    /// Reads up to `count` bytes at `offset` into a new buffer; fewer at the end of the file.
    func read(count: Int, at offset: Int64, allocator: ByteBufferAllocator) throws(ObjectStoreError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: count)
        let result = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            var done = 0
            while done < count {
                let read = pread(descriptor, pointer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if read < 0, errno == EINTR { continue }
                if read <= 0 { return read < 0 ? -1 : done }
                done += read
            }
            return done
        }
        guard result >= 0, buffer.readableBytes == result || result == 0 else { throw Self.failure("read") }
        return buffer
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: Int64) throws(ObjectStoreError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw Self.failure("truncate") }
    }

    /// Starts writing the `length` bytes at `offset` to the disk without waiting for it, so that
    /// the next ``sync()`` finds less to write. Only a hint: Linux starts the writeback (and
    /// later drops the pages from its cache); elsewhere nothing happens.
    func startWriteback(at offset: Int64, length: Int) {
        #if os(Linux)
        _ = posix_fadvise(descriptor, off_t(offset), off_t(length), POSIX_FADV_DONTNEED)
        #endif
    }

    /// Makes what was written durable.
    func sync() throws(ObjectStoreError) {
        guard fsync(descriptor) == 0 else { throw Self.failure("fsync") }
    }

    /// The file's size.
    func size() throws(ObjectStoreError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.failure("stat") }
        return Int64(info.st_size)
    }

    /// Makes a rename or creation inside `directory` durable.
    static func syncDirectory(_ directory: String) throws(ObjectStoreError) {
        let file = try DurableFile(path: directory, writing: false)
        try file.sync()
    }

    /// Creates `directory` and its parents (`0700`).
    static func makeDirectories(_ directory: String) throws(ObjectStoreError) {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o700) != 0, errno != EEXIST { throw failure("mkdir") }
        }
    }

    static func failure(_ call: String) -> ObjectStoreError {
        .storage("\(call) failed: \(String(cString: strerror(errno)))")
    }
}
