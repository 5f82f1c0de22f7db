/// A node's copy of the replicated log, indexed from 1 (index 0 is the empty prefix, of term 0).
public struct RaftLog: Sendable, Equatable {
    /// The entries, the one at index `i` at position `i - 1`.
    public private(set) var entries: [RaftEntry]

    /// Creates a log holding `entries`, whose indexes must run 1, 2, 3, …
    public init(_ entries: [RaftEntry] = []) {
        precondition(entries.indices.allSatisfy { entries[$0].index == $0 + 1 }, "a Raft log's indexes run from 1 without gaps")
        self.entries = entries
    }

    /// The index of the last entry; 0 when empty.
    public var lastIndex: Int { entries.count }

    /// The term of the last entry; 0 when empty.
    public var lastTerm: Int { entries.last?.term ?? 0 }

    /// The term of the entry at `index`: 0 at index 0, `nil` beyond the end.
    public func term(at index: Int) -> Int? {
        if index == 0 { return 0 }
        return index <= entries.count ? entries[index - 1].term : nil
    }

    /// The entry at `index`, which must be in the log.
    public subscript(index: Int) -> RaftEntry {
        entries[index - 1]
    }

    /// The entries from `index` on, at most `limit` of them.
    public func entries(from index: Int, limit: Int = .max) -> [RaftEntry] {
        guard index <= entries.count else { return [] }
        let end = limit > entries.count - index ? entries.count : index - 1 + limit
        return Array(entries[(index - 1)..<end])
    }

    /// Whether a log ending at (`lastIndex`, `lastTerm`) is at least as up to date as this one
    /// (Raft §5.4.1): a later last term wins, and with equal terms the longer log.
    public func isUpToDate(lastIndex: Int, lastTerm: Int) -> Bool {
        lastTerm > self.lastTerm || (lastTerm == self.lastTerm && lastIndex >= self.lastIndex)
    }

    /// Adds an entry at the end.
    mutating func append(_ entry: RaftEntry) {
        precondition(entry.index == lastIndex + 1, "Raft entries are appended in index order")
        entries.append(entry)
    }

    /// Places `newEntries`, which follow index `previous`: entries already present with the same
    /// term are kept, and the first that differs replaces it and everything after it (log
    /// matching: equal index and term mean equal prefixes). Returns the first index written.
    mutating func merge(_ newEntries: [RaftEntry], after previous: Int) -> Int? {
        for (offset, entry) in newEntries.enumerated() where term(at: previous + 1 + offset) != entry.term {
            entries.removeSubrange((previous + offset)...)
            entries.append(contentsOf: newEntries[offset...])
            return previous + 1 + offset
        }
        return nil
    }
}

