import ApusCore
import ApusTesting
import Foundation
import NIOCore
import Testing

/// The S3 store against moto's server, started by the test.
@Suite struct S3ObjectStoreTests {
    static func contents(_ store: some ObjectStore, _ key: ObjectKey, range: Range<Int64>? = nil) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await store.read(key, range: range) { bytes += $0.readableBytesView }
        return bytes
    }

    @Test func wholeObjectsPutReadByRangeListComposeAndDelete() async throws {
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
            let small = try #require(ObjectKey("docs/b"))
            _ = try await store.put(small, ChunkedBody(chunks: [[1, 2, 3]]))
            let whole = try #require(ObjectKey("docs/whole"))
            #expect(try await store.compose(whole, from: [small, small]) == 6)
            #expect(try await Self.contents(store, whole) == [1, 2, 3, 1, 2, 3])
            #expect(try await store.list(prefix: "docs").map(\.key.path) == ["docs/a", "docs/b", "docs/whole"])
            try await store.delete(key)
            try await store.delete(key)
            #expect(try await store.size(of: key) == nil)
            await #expect(throws: ObjectStoreError.notFound) { try await Self.contents(store, key) }
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

    @Test func aDroppedBodyKeepsWhatArrivedAndARefusedChunkReturnsToTheStateBeforeIt() async throws {
        try await MotoServer.withBucket { location in
            let store = S3ObjectStore(location: location, partSize: 5 << 20)
            let key = try #require(ObjectKey("uploads/u2"))
            var object = try await store.beginAppendable(key)
            object = try await store.append(object, at: 0, ChunkedBody(chunks: [[1, 2]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            do {
                _ = try await store.append(object, at: 2, ChunkedBody(chunks: [[3, 4], [5]], failure: ConnectionDropped()), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
                Issue.record("the append should have failed")
            } catch let interrupted as AppendInterrupted {
                #expect(interrupted.length == 5)
                object = interrupted.object
            }
            let before = object
            // A chunk written whole and then refused (its checksum did not match).
            _ = try await store.append(object, at: 5, ChunkedBody(chunks: [[9, 9, 9]]), options: AppendOptions(limit: 100, keepPartial: false)) { _ in } checkpoint: { _, _ in }
            object = try await store.truncate(before, to: 5)
            object = try await store.append(object, at: 5, ChunkedBody(chunks: [[6]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 3, 4, 5, 6])
            let aborted = try await store.beginAppendable(try #require(ObjectKey("uploads/u3")))
            _ = try await store.append(aborted, at: 0, ChunkedBody(chunks: [[1]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            try await store.abort(aborted)
            #expect(try await store.list(prefix: "").map(\.key.path) == ["uploads/u2"])
        }
    }
}
