import ApusCore
import ApusTesting
import Foundation
import NIOCore
import Testing

/// What only the S3 store does (parts of at least 5 MiB, tails staged between chunks), against
/// moto's server; the contract every store keeps is in `ObjectStoreConformanceTests`.
@Suite struct S3ObjectStoreTests {
    static func contents(_ store: some ObjectStore, _ key: ObjectKey, range: Range<Int64>? = nil) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await store.read(key, range: range) { bytes += $0.readableBytesView }
        return bytes
    }

    @Test func anObjectLargerThanAPartGoesUpInPartsAndReadsBack() async throws {
        try await MotoServer.withBucket { location in
            let store = S3ObjectStore(location: location, partSize: 5 << 20)
            let key = try #require(ObjectKey("docs/a"))
            // Larger than a part: a multipart upload under the hood.
            let bytes = (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let size = try await store.put(key, ChunkedBody(chunks: [Array(bytes[..<(3 << 20)]), Array(bytes[(3 << 20)...])]))
            #expect(size == Int64(bytes.count))
            #expect(try await Self.contents(store, key) == bytes)
            #expect(try await Self.contents(store, key, range: 10..<20) == Array(bytes[10..<20]))
            #expect(try await store.size(of: key) == Int64(bytes.count))
        }
    }

    @Test func anAppendableObjectOfOddChunksBecomesOneObjectAcrossParts() async throws {
        try await MotoServer.withBucket { location in
            let store = S3ObjectStore(location: location, partSize: 5 << 20)
            let key = try #require(ObjectKey("uploads/u1"))
            let bytes = (0..<(12 << 20 + 777)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 3) }
            var object = try await store.beginAppendable(key)
            var offset = 0
            // Chunks smaller and larger than a part, so tails are staged and read back.
            for size in [1000, 3 << 20, 4 << 20, 1, 5 << 20] {
                let end = min(bytes.count, offset + size)
                object = try await store.append(object, at: Int64(offset), ChunkedBody(chunks: [Array(bytes[offset..<end])]), options: AppendOptions(limit: .max, keepPartial: true)) { _ in } checkpoint: { _, _ in }
                offset = end
            }
            object = try await store.append(object, at: Int64(offset), ChunkedBody(chunks: [Array(bytes[offset...])]), options: AppendOptions(limit: .max, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            #expect(try await store.size(of: key) == nil, "not readable before it is complete")
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == bytes)
            // No staging object is left behind, and none is listed as an object.
            #expect(try await store.list(prefix: "").map(\.key.path) == ["uploads/u1"])
        }
    }
}
