@testable import ApusKit
import Testing

@Suite struct RaftLogTests {
    func entries(_ terms: [Int], from first: Int = 1) -> [RaftEntry] {
        terms.enumerated().map { RaftEntry(index: first + $0.offset, term: $0.element, command: [UInt8($0.offset)]) }
    }

    @Test func termsAreZeroBeforeTheFirstEntryAndUnknownPastTheLast() {
        let log = RaftLog(entries([1, 1, 2]))
        #expect(log.term(at: 0) == 0)
        #expect(log.term(at: 3) == 2)
        #expect(log.term(at: 4) == nil)
        #expect(log.lastIndex == 3)
        #expect(log.lastTerm == 2)
        #expect(log.entries(from: 2, limit: 1).map(\.index) == [2])
        #expect(log.entries(from: 2).map(\.index) == [2, 3])
        #expect(log.entries(from: 4).isEmpty)
    }

    @Test func aLaterLastTermOrALongerLogIsUpToDate() {
        let log = RaftLog(entries([1, 2, 2]))
        #expect(log.isUpToDate(lastIndex: 1, lastTerm: 3))
        #expect(log.isUpToDate(lastIndex: 3, lastTerm: 2))
        #expect(log.isUpToDate(lastIndex: 4, lastTerm: 2))
        #expect(!log.isUpToDate(lastIndex: 2, lastTerm: 2))
        #expect(!log.isUpToDate(lastIndex: 9, lastTerm: 1))
    }

    @Test func mergingReplacesTheSuffixFromTheFirstConflict() {
        var log = RaftLog(entries([1, 1, 2, 2]))
        let leaders = entries([1, 3, 3], from: 2)
        #expect(log.merge(leaders, after: 1) == 3)
        #expect(log.entries.map(\.term) == [1, 1, 3, 3])
        #expect(log[3] == leaders[1])
    }

    @Test func mergingEntriesAlreadyHeldChangesNothing() {
        var log = RaftLog(entries([1, 1, 2, 2]))
        // An old, shorter message from the same leader: the entries after it must stay.
        #expect(log.merge(Array(log.entries[1...2]), after: 1) == nil)
        #expect(log.lastIndex == 4)
        #expect(log.merge([], after: 4) == nil)
        #expect(log.merge(entries([2], from: 5), after: 4) == 5)
        #expect(log.lastIndex == 5)
    }
}
