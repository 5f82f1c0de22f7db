import Foundation
public import NIOCore
import NIOPosix

/// Objects as files under one directory (by default `APUS_DATA_DIR/objects`): `<root>/<key>`
/// for stored objects, `<root>/.appending/<key>` while one is written chunk by chunk, and
/// `<root>/.incoming/` for whole objects until they are complete. No key has a dot in it, so
/// the working directories can never be named by one.
///
/// Durability: a chunk is `fsync`ed before its append returns (and at each checkpoint); a new
/// or renamed file's directory is `fsync`ed too, so an acknowledged byte survives a crash.
public struct LocalObjectStore: ObjectStore {
    /// The directory holding every object.
    public let root: String
    private let pool: NIOThreadPool
    private let allocator = ByteBufferAllocator()
    /// Buffers gathered into one write, so a stream of small buffers costs few thread hops.
    private let writeBatch = 1 << 20

    public init(root: String) {
        self.root = root
        self.pool = BlockingPools.files
    }

    private func path(_ key: ObjectKey) -> String { "\(root)/\(key.path)" }
    private func appendingPath(_ key: ObjectKey) -> String { "\(root)/.appending/\(key.path)" }

    private func parent(_ path: String) -> String {
        String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }

    private func blocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await pool.runIfActive(body)
    }

    /// Like ``blocking(_:)``, but runs even when the calling task is cancelled (a request cut by
    /// shutdown): bytes a client sent are written and made durable all the same.
    private func blockingEvenIfCancelled<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await Task { [pool] in try await pool.runIfActive(body) }.value
    }

    // MARK: Whole objects

    public func put<Body: AsyncSequence>(_ key: ObjectKey, _ body: Body) async throws -> Int64 where Body.Element == ByteBuffer {
        let incoming = "\(root)/.incoming/\(ObjectKey.generate(under: "put").path.replacingOccurrences(of: "/", with: "-"))"
        let file = try await blocking { [root] in
            try DurableFile.makeDirectories("\(root)/.incoming")
            return try DurableFile(path: incoming, writing: true)
        }
        do {
            let length = try await write(body, to: file, at: 0, limit: .max, observe: { _ in })
            let target = path(key)
            try await blocking {
                try file.sync()
                try DurableFile.makeDirectories(parent(target))
                guard rename(incoming, target) == 0 else { throw DurableFile.failure("rename") }
                try DurableFile.syncDirectory(parent(target))
            }
            return length
        } catch {
            _ = try? await blocking { unlink(incoming) }
            throw error
        }
    }

    public func compose(_ key: ObjectKey, from parts: [ObjectKey]) async throws -> Int64 {
        let incoming = "\(root)/.incoming/\(ObjectKey.generate(under: "compose").path.replacingOccurrences(of: "/", with: "-"))"
        let target = path(key)
        let sources = parts.map(path)
        return try await blocking { [root, allocator] in
            try DurableFile.makeDirectories("\(root)/.incoming")
            do {
                let file = try DurableFile(path: incoming, writing: true)
                var at: Int64 = 0
                for source in sources {
                    let part = try DurableFile(path: source, writing: false)
                    var offset: Int64 = 0
                    while true {
                        let buffer = try part.read(count: 1 << 20, at: offset, allocator: allocator)
                        if buffer.readableBytes == 0 { break }
                        try buffer.withUnsafeReadableBytes { bytes in try file.write(bytes, at: at) }
                        offset += Int64(buffer.readableBytes)
                        at += Int64(buffer.readableBytes)
                    }
                }
                try file.sync()
                try DurableFile.makeDirectories(parent(target))
                guard rename(incoming, target) == 0 else { throw DurableFile.failure("rename") }
                try DurableFile.syncDirectory(parent(target))
                return at
            } catch {
                unlink(incoming)
                throw error
            }
        }
    }

    public func read(_ key: ObjectKey, range: Range<Int64>?, _ consume: (ByteBuffer) async throws -> Void) async throws {
        let target = path(key)
        let (file, size) = try await blocking {
            let file = try DurableFile(path: target, writing: false)
            return (file, try file.size())
        }
        let range = range ?? 0..<size
        var offset = max(0, range.lowerBound)
        let end = min(range.upperBound, size)
        while offset < end {
            let count = Int(min(Int64(256 << 10), end - offset))
            let at = offset
            let buffer = try await blocking { [allocator] in try file.read(count: count, at: at, allocator: allocator) }
            guard buffer.readableBytes > 0 else { break }
            offset += Int64(buffer.readableBytes)
            try await consume(buffer)
        }
    }

    public func size(of key: ObjectKey) async throws -> Int64? {
        let target = path(key)
        return try await blocking {
            do {
                return try DurableFile(path: target, writing: false).size()
            } catch ObjectStoreError.notFound {
                return nil
            }
        }
    }

    public func delete(_ key: ObjectKey) async throws {
        let target = path(key)
        try await blocking {
            guard unlink(target) == 0 || errno == ENOENT else { throw DurableFile.failure("unlink") }
        }
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        guard ObjectKey.isPrefix(prefix) else { return [] }
        let root = root
        return try await blocking {
            guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
            var found: [ObjectInfo] = []
            while let relative = walker.nextObject() as? String {
                if relative.hasPrefix(".") {
                    walker.skipDescendants()
                    continue
                }
                guard relative.hasPrefix(prefix), let key = ObjectKey(relative),
                    let attributes = walker.fileAttributes, attributes[.type] as? FileAttributeType == .typeRegular
                else { continue }
                found.append(ObjectInfo(key: key, size: (attributes[.size] as? NSNumber)?.int64Value ?? 0))
            }
            return found.sorted { $0.key.path < $1.key.path }
        }
    }

    // MARK: Appendable objects

    public func beginAppendable(_ key: ObjectKey) async throws -> AppendableObject {
        let target = appendingPath(key)
        try await blocking {
            try DurableFile.makeDirectories(parent(target))
            let file = try DurableFile(path: target, writing: true)
            try file.truncate(to: 0)
            try file.sync()
            try DurableFile.syncDirectory(parent(target))
        }
        return AppendableObject(key: key, state: "")
    }

    public func append<Body: AsyncSequence>(
        _ object: AppendableObject, at offset: Int64, _ body: Body, options: AppendOptions,
        observe: (ByteBuffer) throws -> Void,
        checkpoint: (AppendableObject, Int64) async throws -> Void
    ) async throws -> AppendableObject where Body.Element == ByteBuffer {
        let target = appendingPath(object.key)
        let file = try await blocking {
            let file = try DurableFile(path: target, writing: true)
            let size = try file.size()
            guard size >= offset else { throw ObjectStoreError.offsetMismatch(expected: size) }
            // Bytes past the acknowledged length were never recorded by the caller.
            if size > offset { try file.truncate(to: offset) }
            return file
        }
        var lastCheckpoint = offset
        do {
            let end = try await write(body, to: file, at: offset, limit: options.limit, observe: observe) { written in
                guard options.keepPartial, written - lastCheckpoint >= options.checkpointBytes else { return }
                try await blocking { try file.sync() }
                lastCheckpoint = written
                try await checkpoint(object, written)
            }
            try await blocking { try file.sync() }
            _ = end
            return object
        } catch {
            if options.keepPartial {
                // What arrived before the failure is kept; the limit cut it at the last byte
                // allowed. In a task of its own: a request cancelled by shutdown keeps it too.
                let length = try await blockingEvenIfCancelled {
                    try file.sync()
                    return try file.size()
                }
                throw AppendInterrupted(object: object, length: length, cause: error)
            }
            try await blocking {
                try file.truncate(to: offset)
                try file.sync()
            }
            throw error
        }
    }

    public func truncate(_ object: AppendableObject, to length: Int64) async throws -> AppendableObject {
        let target = appendingPath(object.key)
        try await blocking {
            let file = try DurableFile(path: target, writing: true)
            try file.truncate(to: length)
            try file.sync()
        }
        return object
    }

    public func complete(_ object: AppendableObject) async throws {
        let from = appendingPath(object.key)
        let to = path(object.key)
        try await blocking {
            try DurableFile.makeDirectories(parent(to))
            guard rename(from, to) == 0 else {
                throw errno == ENOENT ? ObjectStoreError.notFound : DurableFile.failure("rename")
            }
            try DurableFile.syncDirectory(parent(to))
        }
    }

    public func abort(_ object: AppendableObject) async throws {
        let target = appendingPath(object.key)
        try await blocking {
            guard unlink(target) == 0 || errno == ENOENT else { throw DurableFile.failure("unlink") }
        }
    }

    // MARK: Writing a stream

    /// Writes `body` from `offset` in batches; returns the end offset. Stops with
    /// ``ObjectStoreError/limitExceeded`` once more than `limit` bytes came, after writing those
    /// within it. `progress` is told the end offset after each batch.
    private func write<Body: AsyncSequence>(
        _ body: Body, to file: DurableFile, at offset: Int64, limit: Int64,
        observe: (ByteBuffer) throws -> Void,
        progress: (Int64) async throws -> Void = { _ in }
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        var position = offset
        var batch: [ByteBuffer] = []
        var batched = 0
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let buffers = batch
            let start = position
            try await blockingEvenIfCancelled {
                var at = start
                for buffer in buffers {
                    try buffer.withUnsafeReadableBytes { bytes in try file.write(bytes, at: at) }
                    at += Int64(buffer.readableBytes)
                }
                // The disk starts on these bytes now, while the next ones arrive, instead of
                // all at once in the fsync that acknowledges them.
                file.startWriteback(at: start, length: Int(at - start))
            }
            position += Int64(batched)
            batch.removeAll(keepingCapacity: true)
            batched = 0
            try await progress(position)
        }
        var iterator = body.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await iterator.next()
            } catch {
                // Bytes that arrived before the body failed are written (and were observed).
                try await flush()
                throw error
            }
            guard var buffer = next else { break }
            let allowed = limit - (position - offset) - Int64(batched)
            if Int64(buffer.readableBytes) > allowed {
                if allowed > 0, let head = buffer.readSlice(length: Int(allowed)) {
                    try observe(head)
                    batch.append(head)
                    batched += head.readableBytes
                }
                try await flush()
                throw ObjectStoreError.limitExceeded
            }
            try observe(buffer)
            batch.append(buffer)
            batched += buffer.readableBytes
            if batched >= writeBatch { try await flush() }
        }
        try await flush()
        return position
    }
}
