import Foundation
@testable import Logs
import Testing

@Suite struct ChunkTests {
    @Test func aChunkReadsBackItsEntriesInTimeOrderWithTheirMetadata() throws {
        let entries = [
            LogEntry(timestamp: 1_700_000_000_000_000_300, line: "third", metadata: ["trace_id": "abc"]),
            LogEntry(timestamp: 1_700_000_000_000_000_100, line: "first"),
            LogEntry(timestamp: 1_700_000_000_000_000_200, line: "second ✓"),
            LogEntry(timestamp: 1_700_000_000_000_000_200, line: "second, same time"),
            LogEntry(timestamp: 5, line: ""),
        ]
        let (data, rawBytes) = Chunk.encode(entries)
        let decoded = try Chunk.decode(data, rawBytes: rawBytes)
        #expect(decoded.map(\.line) == ["", "first", "second ✓", "second, same time", "third"])
        #expect(decoded.last?.metadata == ["trace_id": "abc"])
        #expect(decoded.map(\.timestamp) == entries.map(\.timestamp).sorted())
    }

    @Test func repeatedLinesCompressWellAndDamageIsRefused() throws {
        let entries = (0..<1000).map { LogEntry(timestamp: 1_700_000_000_000_000_000 + Int64($0) * 1_000_000, line: "GET /api/items/\($0 % 10) 200 12ms") }
        let (data, rawBytes) = Chunk.encode(entries)
        #expect(data.count * 5 < rawBytes)
        var damaged = data
        damaged[damaged.count / 2] ^= 0xFF
        damaged.removeLast(damaged.count / 3)
        #expect(throws: Chunk.Damaged.self) { try Chunk.decode(damaged, rawBytes: rawBytes) }
    }
}
