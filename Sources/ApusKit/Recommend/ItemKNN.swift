import Dispatch

/// Item-item nearest neighbours: cosine similarity between items' columns of the weighted
/// user × item matrix, keeping each item's `neighbours` most similar. It serves "similar
/// items", and recommends to a user the items most similar to what the user has.
public struct ItemKNN: Sendable {
    /// Each item's neighbours, most similar first.
    public let neighbours: [[ScoredItem]]

    public init(neighbours: [[ScoredItem]]) {
        self.neighbours = neighbours
    }

    /// Computes every item's neighbours on `threads` threads. Cost: the sum over users of the
    /// square of their item counts.
    public static func train(_ userItems: SparseMatrix, neighbours count: Int, threads: Int = 1) -> ItemKNN {
        let itemUsers = userItems.transposed()
        let items = itemUsers.rowCount
        let norms = (0..<items).map { item in
            itemUsers.range(of: item).reduce(Float(0)) { $0 + itemUsers.values[$1] * itemUsers.values[$1] }.squareRoot()
        }
        let threads = max(1, min(threads, items))
        let results = RowSlots<[ScoredItem]>(count: items, initial: [])
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var dots = [Float](repeating: 0, count: items)
            var touched: [Int] = []
            for item in stride(from: thread, to: items, by: threads) {
                for index in itemUsers.range(of: item) {
                    let user = Int(itemUsers.columns[index])
                    let weight = itemUsers.values[index]
                    for other in userItems.range(of: user) {
                        let column = Int(userItems.columns[other])
                        if dots[column] == 0 { touched.append(column) }
                        dots[column] += weight * userItems.values[other]
                    }
                }
                var similar: [ScoredItem] = []
                for column in touched where column != item {
                    let denominator = norms[item] * norms[column]
                    if denominator > 0 { similar.append(ScoredItem(index: column, score: dots[column] / denominator)) }
                }
                for column in touched { dots[column] = 0 }
                touched.removeAll(keepingCapacity: true)
                similar.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
                results.set(item, Array(similar.prefix(count)))
            }
        }
        return ItemKNN(neighbours: results.all)
    }

    /// Scores for a user with `history` (item, weight): the weighted sum of the similarities
    /// of each item the user has to each of its neighbours.
    public func scores(for history: [(item: Int, weight: Float)]) -> [Float] {
        var scores = [Float](repeating: 0, count: neighbours.count)
        for (item, weight) in history where item < neighbours.count {
            for neighbour in neighbours[item] { scores[neighbour.index] += weight * neighbour.score }
        }
        return scores
    }
}
