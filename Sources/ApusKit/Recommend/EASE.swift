import Dispatch

/// EASE (Steck, 2019): a closed-form item × item model. With `G = XᵀX + λI`, `P = G⁻¹`, the
/// weights are `B = I − P · diag(1 / diag(P))` with a zero diagonal, and a user's scores are
/// their row of X times B. It leads the MovieLens tables of linear models, at the price of
/// inverting an items × items matrix: catalogues of a few thousand items after filtering.
public struct EASE: Sendable {
    /// How many items the catalogue has.
    public let itemCount: Int
    /// B, row-major: `weights[i * itemCount + j]` is how much having `i` recommends `j`.
    public let weights: [Float]

    /// Trains on `userItems` with L2 `regularization` (λ), on `threads` threads.
    public static func train(_ userItems: SparseMatrix, regularization: Double, threads: Int = 1) -> EASE {
        let n = userItems.columnCount
        var gram = [Double](repeating: 0, count: n * n)
        // XᵀX from each user's row: the sum over users of their item pairs.
        for user in 0..<userItems.rowCount {
            let range = userItems.range(of: user)
            for a in range {
                let i = Int(userItems.columns[a])
                let value = Double(userItems.values[a])
                for b in range { gram[i * n + Int(userItems.columns[b])] += value * Double(userItems.values[b]) }
            }
        }
        for i in 0..<n { gram[i * n + i] += regularization }
        invertInPlace(&gram, n: n, threads: threads)
        var weights = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n where i != j { weights[i * n + j] = Float(-gram[i * n + j] / gram[j * n + j]) }
        }
        return EASE(itemCount: n, weights: weights)
    }

    public init(itemCount: Int, weights: [Float]) {
        precondition(weights.count == itemCount * itemCount)
        self.itemCount = itemCount
        self.weights = weights
    }

    /// Scores for a user with `history` (item, weight).
    public func scores(for history: [(item: Int, weight: Float)]) -> [Float] {
        var scores = [Float](repeating: 0, count: itemCount)
        weights.withUnsafeBufferPointer { b in
            scores.withUnsafeMutableBufferPointer { out in
                for (item, weight) in history where item < itemCount {
                    LinearAlgebra.axpy(weight, b.baseAddress! + item * itemCount, out.baseAddress!, itemCount)
                }
            }
        }
        return scores
    }

    /// Item `item`'s `count` strongest positive weights: its neighbours.
    public func neighbours(of item: Int, count: Int) -> [ScoredItem] {
        TopItems.select(Array(weights[item * itemCount..<(item + 1) * itemCount]), count: count, excluding: [item]).filter { $0.score > 0 }
    }

    /// Gauss–Jordan inversion of a symmetric positive definite matrix in place: no pivoting is
    /// needed, and each pivot's update of the other rows is spread over `threads` threads.
    static func invertInPlace(_ matrix: inout [Double], n: Int, threads: Int) {
        let threads = max(1, min(threads, n))
        matrix.withUnsafeMutableBufferPointer { buffer in
            let a = Rows(base: buffer.baseAddress!, n: n)
            for k in 0..<n {
                let pivot = a.base[k * n + k]
                a.base[k * n + k] = 1
                for j in 0..<n { a.base[k * n + j] /= pivot }
                DispatchQueue.concurrentPerform(iterations: threads) { thread in
                    a.eliminate(pivot: k, rows: stride(from: thread, to: n, by: threads))
                }
            }
        }
    }

    /// The rows of the matrix being inverted; each thread updates only its own rows.
    struct Rows: @unchecked Sendable {
        let base: UnsafeMutablePointer<Double>
        let n: Int

        func eliminate(pivot k: Int, rows: StrideTo<Int>) {
            let pivotRow = base + k * n
            for i in rows where i != k {
                let row = base + i * n
                let factor = row[k]
                if factor == 0 { continue }
                row[k] = 0
                for j in 0..<n { row[j] -= factor * pivotRow[j] }
            }
        }
    }
}
