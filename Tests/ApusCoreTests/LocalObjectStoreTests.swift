import ApusCore
import Foundation
import NIOCore
import Testing

/// What only the local store does; the contract every store keeps is in
/// `ObjectStoreConformanceTests`.
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

    @Test func anAppendOverwritesBytesTheCallerNeverRecorded() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("uploads/u3"))
            var object = try await store.beginAppendable(key)
            object = try await store.append(object, at: 0, ChunkedBody(chunks: [[1, 2, 3, 4]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            // As after a crash between the fsync and the database update that recorded offset 2.
            object = try await store.append(object, at: 2, ChunkedBody(chunks: [[9]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 9])
        }
    }

    @Test func truncateCutsToAnyShorterLength() async throws {
        try await Self.withStore { store, _ in
            let key = try #require(ObjectKey("uploads/u4"))
            var object = try await store.beginAppendable(key)
            object = try await store.append(object, at: 0, ChunkedBody(chunks: [[1, 2, 3, 4, 5]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            object = try await store.truncate(object, to: 3)
            object = try await store.append(object, at: 3, ChunkedBody(chunks: [[7]]), options: AppendOptions(limit: 100, keepPartial: true)) { _ in } checkpoint: { _, _ in }
            try await store.complete(object)
            #expect(try await Self.contents(store, key) == [1, 2, 3, 7])
        }
    }
}
