/// An item and how strongly a model recommends it.
public struct ScoredItem: Sendable, Equatable {
    public var index: Int
    public var score: Float

    public init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}

public enum TopItems {
    /// The `count` highest scores, best first (ties by lower index), skipping `excluded`
    /// indices and scores that are not finite.
    public static func select(_ scores: [Float], count: Int, excluding excluded: Set<Int> = []) -> [ScoredItem] {
        guard count > 0 else { return [] }
        var kept: [ScoredItem] = []
        kept.reserveCapacity(count + 1)
        for (index, score) in scores.enumerated() where score.isFinite && !excluded.contains(index) {
            if kept.count == count, let last = kept.last, !(score > last.score) { continue }
            // Kept is sorted best first: insert by binary search, drop the tail past `count`.
            var low = 0
            var high = kept.count
            while low < high {
                let middle = (low + high) / 2
                if kept[middle].score >= score { low = middle + 1 } else { high = middle }
            }
            kept.insert(ScoredItem(index: index, score: score), at: low)
            if kept.count > count { kept.removeLast() }
        }
        return kept
    }
}
