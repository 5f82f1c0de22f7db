import ApusCore
import ApusTesting
import Foundation
import NIOCore
import Testing

/// What every `ObjectStore` promises, run over each store Apus ships: the local directory a
/// single node uses and the S3 bucket a cluster shares (moto's server, started by the test). A
/// module that stores bytes may rely on exactly this; what only one store does (local working
/// directories, S3's staged part tails) is tested beside that store.
// One store at a time: each S3 case starts a moto server, and nine starting at once load the
// machine enough to starve the rest of the suite.
@Suite(.serialized) struct ObjectStoreConformanceTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case local
        case s3

        var testDescription: String { rawValue }

        /// A fresh, empty store of this kind, for the length of `body`.
        func with(_ body: (any ObjectStore) async throws -> Void) async throws {
            switch self {
            case .local:
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("apus-objects-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: root) }
                try await body(LocalObjectStore(root: root))
            case .s3:
                try await MotoServer.withBucket { location in
                    try await body(S3ObjectStore(location: location, partSize: 5 << 20))
                }
            }
        }
    }

    static func contents(_ store: any ObjectStore, _ key: ObjectKey, range: Range<Int64>? = nil) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await store.read(key, range: range) { bytes += $0.readableBytesView }
        return bytes
    }

    static func key(_ path: String) throws -> ObjectKey { try #require(ObjectKey(path)) }

    static let keep = AppendOptions(limit: 100, keepPartial: true)

    @Test(arguments: Store.allCases)
    func aPutObjectReadsBackWholeAndByRangeListsInOrderAndDeletesTwice(_ kind: Store) async throws {
        try await kind.with { store in
            let key = try Self.key("docs/a")
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            #expect(try await store.put(key, ChunkedBody(chunks: [Array(bytes[..<1000]), Array(bytes[1000...])])) == 300_000)
            #expect(try await store.size(of: key) == 300_000)
            #expect(try await Self.contents(store, key) == bytes)
            #expect(try await Self.contents(store, key, range: 5..<9) == Array(bytes[5..<9]))
            // A range past the end is cut at the end; an empty one reads nothing.
            #expect(try await Self.contents(store, key, range: 299_990..<400_000) == Array(bytes[299_990...]))
            #expect(try await Self.contents(store, key, range: 7..<7) == [])
            _ = try await store.put(try Self.key("docs/b"), ChunkedBody(chunks: [[1, 2]]))
            _ = try await store.put(try Self.key("other/c"), ChunkedBody(chunks: [[3]]))
            let listed = try await store.list(prefix: "docs")
            #expect(listed.map(\.key.path) == ["docs/a", "docs/b"])
            #expect(listed.map(\.size) == [300_000, 2])
            #expect(try await store.list(prefix: "").count == 3)
            try await store.delete(key)
            try await store.delete(key)
            #expect(try await store.size(of: key) == nil)
            await #expect(throws: ObjectStoreError.notFound) { try await Self.contents(store, key) }
        }
    }

    @Test(arguments: Store.allCases)
    func aPutReplacesWholeAndAFailedOneLeavesTheOldObject(_ kind: Store) async throws {
        try await kind.with { store in
            let key = try Self.key("docs/a")
            _ = try await store.put(key, ChunkedBody(chunks: [[1, 2, 3]]))
            _ = try await store.put(key, ChunkedBody(chunks: [[4, 5]]))
            #expect(try await Self.contents(store, key) == [4, 5])
            await #expect(throws: ConnectionDropped.self) { _ = try await store.put(key, ChunkedBody(chunks: [[9, 9]], failure: ConnectionDropped())) }
            #expect(try await Self.contents(store, key) == [4, 5])
            // Nothing half-written is listed, and an empty object is an object.
            _ = try await store.put(try Self.key("docs/empty"), ChunkedBody(chunks: []))
            #expect(try await store.list(prefix: "").map(\.key.path) == ["docs/a", "docs/empty"])
            #expect(try await store.size(of: try Self.key("docs/empty")) == 0)
        }
    }

    @Test(arguments: Store.allCases)
    func composeConcatenatesObjectsInTheOrderGiven(_ kind: Store) async throws {
        try await kind.with { store in
            let parts = try ["p/a", "p/b", "p/c"].map(Self.key)
            for (index, key) in parts.enumerated() { _ = try await store.put(key, ChunkedBody(chunks: [[UInt8(index), UInt8(index)]])) }
            let whole = try Self.key("p/whole")
            #expect(try await store.compose(whole, from: [parts[2], parts[0], parts[1], parts[0]]) == 8)
            #expect(try await Self.contents(store, whole) == [2, 2, 0, 0, 1, 1, 0, 0])
            // The parts stay.
            #expect(try await Self.contents(store, parts[1]) == [1, 1])
        }
    }

    @Test(arguments: Store.allCases)
    func anAppendableObjectGrowsChunkByChunkAndIsReadableOnlyOnceComplete(_ kind: Store) async throws {
        try await kind.with { store in
            let key = try Self.key("uploads/u1")
            var object = try await store.beginAppendable(key)
            var seen = 0
            object = try await store.append(object, at: 0, ChunkedBody(chunks: [[1, 2], [3]]), options: Self.keep) {
                seen += $0.readableBytes
            } checkpoint: { _, _ in }
            #expect(seen == 3, "each byte is shown to the caller as it is written")
            object = try await store.append(object, at: 3, ChunkedBody(chunks: [[4, 5]]), options: Self.keep) { _ in } checkpoint: { _, _ in }
            #expect(try await store.size(of: key) == nil, "not readable before it is complete")
            #expect(try await store.list(prefix: "").isEmpty, "not listed before it is complete")
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 3, 4, 5])
            #expect(try await store.list(prefix: "").map(\.key.path) == ["uploads/u1"])
        }
    }

    @Test(arguments: Store.allCases)
    func anAppendAtTheWrongOffsetIsRefusedWithTheLengthItExpects(_ kind: Store) async throws {
        try await kind.with { store in
            let object = try await store.append(
                try await store.beginAppendable(try Self.key("uploads/u2")), at: 0, ChunkedBody(chunks: [[1, 2, 3]]), options: Self.keep
            ) { _ in } checkpoint: { _, _ in }
            await #expect(throws: ObjectStoreError.offsetMismatch(expected: 3)) {
                _ = try await store.append(object, at: 10, ChunkedBody(chunks: [[1]]), options: Self.keep) { _ in } checkpoint: { _, _ in }
            }
        }
    }

    @Test(arguments: Store.allCases)
    func aDroppedBodyKeepsWhatArrivedOnlyWhenAskedAndALimitKeepsWhatFits(_ kind: Store) async throws {
        try await kind.with { store in
            let key = try Self.key("uploads/u3")
            var object = try await store.append(
                try await store.beginAppendable(key), at: 0, ChunkedBody(chunks: [[1, 2]]), options: Self.keep
            ) { _ in } checkpoint: { _, _ in }
            do {
                _ = try await store.append(object, at: 2, ChunkedBody(chunks: [[3, 4], [5]], failure: ConnectionDropped()), options: Self.keep) { _ in } checkpoint: { _, _ in }
                Issue.record("the append should have failed")
            } catch let interrupted as AppendInterrupted {
                #expect(interrupted.length == 5)
                #expect(interrupted.cause is ConnectionDropped)
                object = interrupted.object
            }
            // Without keepPartial (a chunk with a checksum) the chunk is all or nothing.
            await #expect(throws: ConnectionDropped.self) {
                _ = try await store.append(object, at: 5, ChunkedBody(chunks: [[6, 7]], failure: ConnectionDropped()), options: AppendOptions(limit: 100, keepPartial: false)) { _ in } checkpoint: { _, _ in }
            }
            // Past the limit, the bytes within it stay when partial writes are kept.
            do {
                _ = try await store.append(object, at: 5, ChunkedBody(chunks: [[6, 7, 8]]), options: AppendOptions(limit: 2, keepPartial: true)) { _ in } checkpoint: { _, _ in }
                Issue.record("the append should have failed")
            } catch let interrupted as AppendInterrupted {
                #expect(interrupted.length == 7)
                #expect(interrupted.cause as? ObjectStoreError == .limitExceeded)
                object = interrupted.object
            }
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 3, 4, 5, 6, 7])
        }
    }

    @Test(arguments: Store.allCases)
    func aChunkWrittenWholeAndThenRefusedIsUndoneByTruncating(_ kind: Store) async throws {
        try await kind.with { store in
            let key = try Self.key("uploads/u4")
            let before = try await store.append(
                try await store.beginAppendable(key), at: 0, ChunkedBody(chunks: [[1, 2]]), options: Self.keep
            ) { _ in } checkpoint: { _, _ in }
            // Its checksum did not match: the caller goes back to the state it had recorded.
            _ = try await store.append(before, at: 2, ChunkedBody(chunks: [[9, 9, 9]]), options: AppendOptions(limit: 100, keepPartial: false)) { _ in } checkpoint: { _, _ in }
            var object = try await store.truncate(before, to: 2)
            object = try await store.append(object, at: 2, ChunkedBody(chunks: [[3]]), options: Self.keep) { _ in } checkpoint: { _, _ in }
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 3])
        }
    }

    @Test(arguments: Store.allCases)
    func checkpointsComeAsTheBytesBecomeDurable(_ kind: Store) async throws {
        try await kind.with { store in
            let object = try await store.beginAppendable(try Self.key("uploads/u5"))
            var checkpoints: [Int64] = []
            let chunks = (0..<6).map { _ in [UInt8](repeating: 1, count: 1 << 20) }
            let options = AppendOptions(limit: .max, keepPartial: true, checkpointBytes: 2 << 20)
            let last = try await store.append(object, at: 0, ChunkedBody(chunks: chunks), options: options) { _ in } checkpoint: { _, length in
                checkpoints.append(length)
            }
            #expect(checkpoints == [2 << 20, 4 << 20, 6 << 20])
            try await store.complete(last)
            #expect(try await store.size(of: last.key) == 6 << 20)
        }
    }

    @Test(arguments: Store.allCases)
    func anAbortedObjectLeavesNothingBehind(_ kind: Store) async throws {
        try await kind.with { store in
            let object = try await store.append(
                try await store.beginAppendable(try Self.key("uploads/u6")), at: 0, ChunkedBody(chunks: [[1]]), options: Self.keep
            ) { _ in } checkpoint: { _, _ in }
            try await store.abort(object)
            #expect(try await store.size(of: object.key) == nil)
            #expect(try await store.list(prefix: "").isEmpty)
        }
    }
}
