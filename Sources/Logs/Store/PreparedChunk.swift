import ApusKit
import Foundation

/// A stream's lines made ready to store: compressed, with their time span and the keys that find
/// them. Made before a push's transaction begins, so the write lock is held for SQL alone and
/// the compressing of concurrent pushes runs on every core.
struct PreparedChunk: Sendable {
    let lines: Int
    let minTimestamp: Int64
    let maxTimestamp: Int64
    let rawBytes: Int
    let data: Data
    /// `field:value` of each distinct ``ChunkStore/keyFields`` value its lines carry.
    let keys: [String]
    /// The 4-grams of its lines (``SubstringFilter``): a line filter's literal it rules out is in none.
    let grams: Data

    /// The chunk of `entries`, or `nil` for none; `quickly` compressed (``Chunk/encode(_:quickly:)``).
    init?(_ entries: [LogEntry], quickly: Bool = false) {
        guard let first = entries.first else { return nil }
        var low = first.timestamp
        var high = first.timestamp
        var keys = Set<String>()
        var grams = SubstringFilter(sizedFor: entries.reduce(0) { $0 + $1.line.utf8.count })
        for entry in entries {
            grams.insert(entry.line)
            low = min(low, entry.timestamp)
            high = max(high, entry.timestamp)
            guard !entry.metadata.isEmpty else { continue }
            for field in ChunkStore.keyFields {
                // A key holding NUL cannot be stored in PostgreSQL's text: such an id finds no chunk.
                if let value = entry.metadata[field], !value.utf8.contains(0) { keys.insert("\(field):\(value)") }
            }
        }
        (data, rawBytes) = Chunk.encode(entries, quickly: quickly)
        lines = entries.count
        minTimestamp = low
        maxTimestamp = high
        self.keys = keys.sorted()
        self.grams = Data(grams.bytes)
    }
}
