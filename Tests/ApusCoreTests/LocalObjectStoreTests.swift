import ApusCore
import Foundation
import NIOCore
import Testing

/// A body that yields `chunks`, then fails if `failure` is set (a dropped connection).
struct ChunkedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [[UInt8]]
    var failure: (any Error & Sendable)?

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: [[UInt8]]
        let failure: (any Error & Sendable)?

        mutating func next() async throws -> ByteBuffer? {
            if remaining.isEmpty {
                if let failure { throw failure }
                return nil
            }
            return ByteBuffer(bytes: remaining.removeFirst())
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks, failure: failure) }
}

struct ConnectionDropped: Error {}

@Suite struct LocalObjectStoreTests {
    static func withStore(_ body: (LocalObjectStore, String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("apus-objects-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await body(LocalObjectStore(root: root), root)
    }

    static func contents(_ store: some ObjectStore, _ key: ObjectKey, range: Range<Int64>? = nil) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await store.read(key, range: range) { bytes += $0.readableBytesView }
        return bytes
    }

    @Test func keysAreServerMadeSegmentsAndNothingElse() {
        #expect(ObjectKey("uploads/upl_0mj2x1k3a9") != nil)
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", ".hidden", "a b", "a\\b", "a/b%2e", String(repeating: "a", count: 101)] {
            #expect(ObjectKey(bad) == nil, "\(bad)")
        }
        let made = ObjectKey.generate(under: "media")
        #expect(made.path.hasPrefix("media/") && made.path.count == "media/".count + 24)
        #expect(made != ObjectKey.generate(under: "media"))
    }

    @Test func aPutObjectReadsBackWholeAndByRangeListsAndDeletes() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("docs/a"))
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let size = try await store.put(key, ChunkedBody(chunks: [Array(bytes[..<1000]), Array(bytes[1000...])]))
            #expect(size == 300_000)
            #expect(try await Self.contents(store, key) == bytes)
            #expect(try await Self.contents(store, key, range: 299_990..<400_000) == Array(bytes[299_990...]))
            #expect(try await Self.contents(store, key, range: 5..<9) == Array(bytes[5..<9]))
            _ = try await store.put(try #require(ObjectKey("docs/b")), ChunkedBody(chunks: [[1, 2]]))
            _ = try await store.put(try #require(ObjectKey("other/c")), ChunkedBody(chunks: [[3]]))
            #expect(try await store.list(prefix: "docs").map(\.key.path) == ["docs/a", "docs/b"])
            #expect(try await store.list(prefix: "docs").map(\.size) == [300_000, 2])
            #expect(try await store.list(prefix: "").count == 3)
            try await store.delete(key)
            try await store.delete(key)
            #expect(try await store.size(of: key) == nil)
            await #expect(throws: ObjectStoreError.notFound) { try await Self.contents(store, key) }
        }
    }

    @Test func aFailedPutLeavesTheOldObject() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("docs/a"))
            _ = try await store.put(key, ChunkedBody(chunks: [[1, 2, 3]]))
            await #expect(throws: ConnectionDropped.self) { _ = try await store.put(key, ChunkedBody(chunks: [[9, 9]], failure: ConnectionDropped())) }
            #expect(try await Self.contents(store, key) == [1, 2, 3])
            // The working directories never show up as objects.
            #expect(try await store.list(prefix: "").map(\.key.path) == ["docs/a"])
        }
    }

    @Test func anAppendableObjectGrowsChunkByChunkAndCompletes() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("uploads/u1"))
            var object = try await store.beginAppendable(key)
            var seen = 0
            object = try await store.append(object, at: 0, ChunkedBody(chunks: [[1, 2], [3]]), options: AppendOptions(limit: 10, keepPartial: true)) {
                seen += $0.readableBytes
            } checkpoint: { _, _ in }
            #expect(seen == 3)
            object = try await store.append(object, at: 3, ChunkedBody(chunks: [[4, 5]]), options: AppendOptions(limit: 7, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            #expect(try await store.size(of: key) == nil, "not readable before it is complete")
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 3, 4, 5])
        }
    }

    @Test func aDroppedBodyKeepsWhatArrivedOnlyWhenAsked() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("uploads/u2"))
            var object = try await store.beginAppendable(key)
            object = try await store.append(object, at: 0, ChunkedBody(chunks: [[1, 2]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            do {
                _ = try await store.append(object, at: 2, ChunkedBody(chunks: [[3, 4], [5]], failure: ConnectionDropped()), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
                Issue.record("the append should have failed")
            } catch let interrupted as AppendInterrupted {
                #expect(interrupted.length == 5)
                #expect(interrupted.cause is ConnectionDropped)
            }
            // Without keepPartial (a chunk with a checksum) the chunk is all or nothing.
            await #expect(throws: ConnectionDropped.self) {
                _ = try await store.append(object, at: 5, ChunkedBody(chunks: [[6, 7]], failure: ConnectionDropped()), options: AppendOptions(limit: 100, keepPartial: false)) { _ in } checkpoint: { _, _ in }
            }
            // Past the limit: the bytes within it stay when partial writes are kept.
            do {
                _ = try await store.append(object, at: 5, ChunkedBody(chunks: [[6, 7, 8]]), options: AppendOptions(limit: 2, keepPartial: true)) { _ in } checkpoint: { _, _ in }
                Issue.record("the append should have failed")
            } catch let interrupted as AppendInterrupted {
                #expect(interrupted.length == 7)
                #expect(interrupted.cause as? ObjectStoreError == .limitExceeded)
            }
            object = try await store.truncate(object, to: 6)
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 3, 4, 5, 6])
        }
    }

    @Test func anAppendOverwritesBytesTheCallerNeverRecordedAndRefusesAGap() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("uploads/u3"))
            var object = try await store.beginAppendable(key)
            object = try await store.append(object, at: 0, ChunkedBody(chunks: [[1, 2, 3, 4]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            // As after a crash between the fsync and the database update that recorded offset 2.
            object = try await store.append(object, at: 2, ChunkedBody(chunks: [[9]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            await #expect(throws: ObjectStoreError.offsetMismatch(expected: 3)) {
                _ = try await store.append(object, at: 10, ChunkedBody(chunks: [[1]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            }
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 9])
        }
    }

    @Test func checkpointsComeAsTheBytesBecomeDurable() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("uploads/u4"))
            let object = try await store.beginAppendable(key)
            var checkpoints: [Int64] = []
            let chunks = (0..<6).map { _ in [UInt8](repeating: 1, count: 1 << 20) }
            _ = try await store.append(object, at: 0, ChunkedBody(chunks: chunks), options: AppendOptions(limit: .max, keepPartial: true, checkpointBytes: 2 << 20)) { _ in } checkpoint: { _, length in
                checkpoints.append(length)
            }
            #expect(checkpoints == [2 << 20, 4 << 20, 6 << 20])
        }
    }

    @Test func composeConcatenatesObjects() async throws {
        try await Self.withStore { store, _ in
            let parts = try ["p/a", "p/b", "p/c"].map { try #require(ObjectKey($0)) }
            for (index, key) in parts.enumerated() { _ = try await store.put(key, ChunkedBody(chunks: [[UInt8(index), UInt8(index)]])) }
            let whole = try #require(ObjectKey("p/whole"))
            #expect(try await store.compose(whole, from: parts) == 6)
            #expect(try await Self.contents(store, whole) == [0, 0, 1, 1, 2, 2])
        }
    }
}
