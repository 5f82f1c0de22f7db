import AsyncHTTPClient
import Foundation
public import NIOCore

/// Objects in a bucket of an S3-compatible store (AWS, MinIO, Ceph; moto in tests), signed
/// with Signature Version 4. What a cluster uses: every node reaches the same bytes.
///
/// An appendable object is an S3 multipart upload. S3 wants every part but the last to be at
/// least 5 MiB, and tus chunks can be any size, so bytes go up in parts of ``partSize`` and the
/// tail of each chunk that does not fill one is stored, durably, as a staging object under
/// `.appending/<key>/` (no object key starts with a dot), read back by the next chunk. The
/// multipart upload's id, its parts and the staging object are the state the caller keeps.
public struct S3ObjectStore: ObjectStore {
    let client: S3Client
    /// Bytes per uploaded part (S3's minimum is 5 MiB).
    let partSize: Int

    public init(location: S3Location, partSize: Int = 8 << 20) {
        precondition(partSize >= 5 << 20, "S3 parts are at least 5 MiB")
        self.client = S3Client(location: location)
        self.partSize = partSize
    }

    // MARK: Whole objects

    public func put<Body: AsyncSequence>(_ key: ObjectKey, _ body: Body) async throws -> Int64 where Body.Element == ByteBuffer {
        let sink = PartSink(store: self, key: key.path)
        do {
            for try await buffer in body { try await sink.add(buffer) }
            return try await sink.finish()
        } catch {
            await sink.abandon()
            throw error
        }
    }

    public func compose(_ key: ObjectKey, from parts: [ObjectKey]) async throws -> Int64 {
        let sink = PartSink(store: self, key: key.path)
        do {
            for part in parts {
                let response = try await client.send(.GET, key: part.path, allowNotFound: true, streaming: true)
                for try await buffer in response.body { try await sink.add(buffer) }
            }
            return try await sink.finish()
        } catch {
            await sink.abandon()
            throw error
        }
    }

    public func read(_ key: ObjectKey, range: Range<Int64>?, _ consume: (ByteBuffer) async throws -> Void) async throws {
        var headers: [(String, String)] = []
        if let range {
            guard range.upperBound > range.lowerBound else { return }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)"))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.send(.GET, key: key.path, headers: headers, allowNotFound: true, streaming: true)
        } catch ObjectStoreError.storage(let detail) where detail.contains("416") {
            return
        }
        for try await buffer in response.body { try await consume(buffer) }
    }

    public func size(of key: ObjectKey) async throws -> Int64? {
        do {
            let response = try await client.send(.HEAD, key: key.path, allowNotFound: true)
            return response.headers.first(name: "content-length").flatMap { Int64($0) }
        } catch ObjectStoreError.notFound {
            return nil
        }
    }

    public func delete(_ key: ObjectKey) async throws {
        do {
            _ = try await client.send(.DELETE, key: key.path, allowNotFound: true)
        } catch ObjectStoreError.notFound {}
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        guard ObjectKey.isPrefix(prefix) else { return [] }
        return try await listRaw(prefix: prefix).compactMap { key, size in ObjectKey(key).map { ObjectInfo(key: $0, size: size) } }
    }

    /// Every key under `prefix` with its size, staging objects included.
    func listRaw(prefix: String) async throws -> [(String, Int64)] {
        var found: [(String, Int64)] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let xml = String(buffer: try await client.collect(try await client.send(.GET, key: nil, query: query)))
            for contents in S3Client.values("Contents", in: xml) {
                guard let key = S3Client.values("Key", in: contents).first, let size = S3Client.values("Size", in: contents).first.flatMap({ Int64($0) }) else { continue }
                found.append((key, size))
            }
            token = S3Client.values("IsTruncated", in: xml).first == "true" ? S3Client.values("NextContinuationToken", in: xml).first : nil
        } while token != nil
        return found.sorted { $0.0 < $1.0 }
    }

    // MARK: Appendable objects

    public func beginAppendable(_ key: ObjectKey) async throws -> AppendableObject {
        let upload = try await createMultipart(key.path)
        return try AppendState(upload: upload, parts: [], stage: nil, staged: 0).object(key)
    }

    public func append<Body: AsyncSequence>(
        _ object: AppendableObject, at offset: Int64, _ body: Body, options: AppendOptions,
        observe: (ByteBuffer) throws -> Void,
        checkpoint: (AppendableObject, Int64) async throws -> Void
    ) async throws -> AppendableObject where Body.Element == ByteBuffer {
        var state = try AppendState(object)
        guard offset == state.length else { throw ObjectStoreError.offsetMismatch(expected: state.length) }
        var pending = try await stagedBytes(state, key: object.key)
        var written: Int64 = 0
        var lastCheckpoint = offset
        do {
            var iterator = body.makeAsyncIterator()
            while var buffer = try await iterator.next() {
                let allowed = options.limit - written
                var exceeded = false
                if Int64(buffer.readableBytes) > allowed {
                    buffer = buffer.getSlice(at: buffer.readerIndex, length: Int(max(0, allowed))) ?? ByteBuffer()
                    exceeded = true
                }
                try observe(buffer)
                pending.writeImmutableBuffer(buffer)
                written += Int64(buffer.readableBytes)
                while pending.readableBytes >= partSize, let part = pending.readSlice(length: partSize) {
                    state = try await uploadPart(part, state: state, key: object.key)
                }
                if options.keepPartial, offset + written - lastCheckpoint >= options.checkpointBytes {
                    state = try await stage(pending, state: state, key: object.key)
                    lastCheckpoint = offset + written
                    try await checkpoint(try state.object(object.key), lastCheckpoint)
                }
                if exceeded { throw ObjectStoreError.limitExceeded }
            }
            state = try await stage(pending, state: state, key: object.key)
            return try state.object(object.key)
        } catch {
            guard options.keepPartial else { throw error }
            // What arrived is kept: the tail still in memory goes up as the staging object, in
            // a task of its own so that a request cancelled by shutdown keeps it too.
            let tail = pending
            let before = state
            if let staged = try? await Task(operation: { [self] in try await stage(tail, state: before, key: object.key) }).value { state = staged }
            throw AppendInterrupted(object: try state.object(object.key), length: state.length, cause: error)
        }
    }

    public func truncate(_ object: AppendableObject, to length: Int64) async throws -> AppendableObject {
        // Parts of an unfinished multipart upload cannot be read back or cut: only the state
        // before a chunk (which still names that chunk's staging object) can be returned to.
        guard try AppendState(object).length == length else { throw ObjectStoreError.storage("an S3 appendable object can only return to a recorded state") }
        return object
    }

    public func complete(_ object: AppendableObject) async throws {
        var state = try AppendState(object)
        let tail = try await stagedBytes(state, key: object.key)
        if state.parts.isEmpty {
            // One small object: a plain PUT (S3 refuses to complete a multipart upload of no parts).
            _ = try await client.send(.PUT, key: object.key.path, body: tail)
            try? await abortMultipart(object.key.path, state.upload)
        } else {
            if tail.readableBytes > 0 { state = try await uploadPart(tail, state: state, key: object.key) }
            let parts = state.parts.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element.etag)</ETag></Part>" }.joined()
            let response = try await client.send(
                .POST, key: object.key.path, query: [("uploadId", state.upload)],
                body: ByteBuffer(string: "<CompleteMultipartUpload>\(parts)</CompleteMultipartUpload>")
            )
            // S3 may answer 200 with an error in the body.
            let xml = String(buffer: try await client.collect(response))
            if xml.contains("<Error>") { throw ObjectStoreError.storage("S3 CompleteMultipartUpload failed (\(S3Client.values("Code", in: xml).first ?? "?"))") }
        }
        await removeStaging(object.key)
    }

    public func abort(_ object: AppendableObject) async throws {
        let state = try AppendState(object)
        try? await abortMultipart(object.key.path, state.upload)
        await removeStaging(object.key)
    }

    // MARK: Multipart pieces

    func createMultipart(_ key: String) async throws -> String {
        let xml = String(buffer: try await client.collect(try await client.send(.POST, key: key, query: [("uploads", "")])))
        guard let upload = S3Client.values("UploadId", in: xml).first else { throw ObjectStoreError.storage("S3 CreateMultipartUpload gave no UploadId") }
        return upload
    }

    func uploadPart(_ key: String, upload: String, number: Int, _ bytes: ByteBuffer) async throws -> String {
        let response = try await client.send(.PUT, key: key, query: [("partNumber", String(number)), ("uploadId", upload)], body: bytes)
        guard let etag = response.headers.first(name: "etag") else { throw ObjectStoreError.storage("S3 UploadPart gave no ETag") }
        return etag
    }

    func abortMultipart(_ key: String, _ upload: String) async throws {
        _ = try await client.send(.DELETE, key: key, query: [("uploadId", upload)], allowNotFound: true)
    }

    private func uploadPart(_ bytes: ByteBuffer, state: AppendState, key: ObjectKey) async throws -> AppendState {
        var state = state
        let etag = try await uploadPart(key.path, upload: state.upload, number: state.parts.count + 1, bytes)
        state.parts.append(.init(etag: etag, size: Int64(bytes.readableBytes)))
        // The staged tail is inside this part now; what is left is in memory until staged.
        state.stage = nil
        state.staged = 0
        return state
    }

    /// Stores `pending` as a new staging object (the old one stays: a refused chunk returns to it).
    private func stage(_ pending: ByteBuffer, state: AppendState, key: ObjectKey) async throws -> AppendState {
        var state = state
        guard pending.readableBytes > 0 else {
            state.stage = nil
            state.staged = 0
            return state
        }
        let name = ".appending/\(key.path)/\(ObjectKey.generate(under: "s").path.dropFirst(2))"
        _ = try await client.send(.PUT, key: name, body: pending)
        state.stage = name
        state.staged = Int64(pending.readableBytes)
        return state
    }

    private func stagedBytes(_ state: AppendState, key: ObjectKey) async throws -> ByteBuffer {
        guard let stage = state.stage, state.staged > 0 else { return ByteBuffer() }
        let response = try await client.send(.GET, key: stage, headers: [("range", "bytes=0-\(state.staged - 1)")])
        let bytes = try await client.collect(response, upTo: partSize * 2)
        guard bytes.readableBytes == state.staged else { throw ObjectStoreError.storage("a staging object is shorter than recorded") }
        return bytes
    }

    private func removeStaging(_ key: ObjectKey) async {
        guard let staged = try? await listRaw(prefix: ".appending/\(key.path)/") else { return }
        for (name, _) in staged { _ = try? await client.send(.DELETE, key: name, allowNotFound: true) }
    }
}

/// What an S3 appendable object's caller keeps: the multipart upload, its parts, and the
/// staging object holding the tail that does not fill a part.
struct AppendState: Codable {
    struct Part: Codable {
        var etag: String
        var size: Int64
    }

    var upload: String
    var parts: [Part]
    var stage: String?
    var staged: Int64

    var length: Int64 { parts.reduce(0) { $0 + $1.size } + staged }

    init(upload: String, parts: [Part], stage: String?, staged: Int64) {
        self.upload = upload
        self.parts = parts
        self.stage = stage
        self.staged = staged
    }

    init(_ object: AppendableObject) throws {
        guard let state = try? JSONDecoder().decode(AppendState.self, from: Data(object.state.utf8)) else {
            throw ObjectStoreError.storage("an appendable object's S3 state is damaged")
        }
        self = state
    }

    func object(_ key: ObjectKey) throws -> AppendableObject {
        AppendableObject(key: key, state: String(decoding: try JSONEncoder().encode(self), as: UTF8.self))
    }
}

/// Streams bytes into one object: a plain PUT if they fit in one part, else a multipart upload.
/// Used by one task at a time.
final class PartSink {
    let store: S3ObjectStore
    let key: String
    private var pending = ByteBuffer()
    private var upload: String?
    private var etags: [String] = []
    private var total: Int64 = 0

    init(store: S3ObjectStore, key: String) {
        self.store = store
        self.key = key
    }

    func add(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        pending.writeBuffer(&buffer)
        while pending.readableBytes >= store.partSize, let part = pending.readSlice(length: store.partSize) {
            try await send(part)
        }
        pending.discardReadBytes()
    }

    private func send(_ part: ByteBuffer) async throws {
        if upload == nil { upload = try await store.createMultipart(key) }
        etags.append(try await store.uploadPart(key, upload: upload!, number: etags.count + 1, part))
        total += Int64(part.readableBytes)
    }

    func finish() async throws -> Int64 {
        guard let upload else {
            _ = try await store.client.send(.PUT, key: key, body: pending)
            return Int64(pending.readableBytes)
        }
        if pending.readableBytes > 0 { try await send(pending) }
        let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }.joined()
        let response = try await store.client.send(.POST, key: key, query: [("uploadId", upload)], body: ByteBuffer(string: "<CompleteMultipartUpload>\(parts)</CompleteMultipartUpload>"))
        let xml = String(buffer: try await store.client.collect(response))
        if xml.contains("<Error>") { throw ObjectStoreError.storage("S3 CompleteMultipartUpload failed") }
        return total
    }

    func abandon() async {
        if let upload { try? await store.abortMultipart(key, upload) }
    }
}

extension S3ObjectStore {
    /// Creates the bucket (tests and first set-up; an existing bucket of ours is fine).
    package func createBucket() async throws {
        do {
            _ = try await client.send(.PUT, key: nil)
        } catch ObjectStoreError.storage(let detail) where detail.contains("BucketAlreadyOwnedByYou") {}
    }
}
