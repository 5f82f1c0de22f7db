extension Collection where Element: Hashable {
    /// The first longest stretch of consecutive elements with no element twice ("longest
    /// substring without repeating characters"), by the sliding-window technique: the window's
    /// end moves one element at a time, and its start jumps past the previous occurrence of the
    /// element just taken in, so each element is looked at once: O(n) time, O(distinct) space.
    public func longestDistinctRun() -> SubSequence {
        var lastSeen: [Element: Index] = [:]
        var start = startIndex
        var best = startIndex..<startIndex
        var bestCount = 0
        var count = 0
        var index = startIndex
        while index != endIndex {
            let element = self[index]
            if let previous = lastSeen[element], previous >= start {
                // Drop everything up to and including the repeat.
                count -= distance(from: start, to: self.index(after: previous))
                start = self.index(after: previous)
            }
            lastSeen[element] = index
            count += 1
            formIndex(after: &index)
            if count > bestCount {
                bestCount = count
                best = start..<index
            }
        }
        return self[best]
    }
}
