import Dispatch

/// Implicit-feedback alternating least squares (Hu, Koren and Volinsky, 2008), solved with the
/// conjugate-gradient steps of Takács et al. that `implicit` uses: each half-iteration
/// improves every user's (then every item's) vector from its last value by a few CG steps
/// instead of inverting a k × k matrix per row. A value `r` in the matrix is a confidence
/// `c = alpha · r` that the user prefers the item; absent entries are preference 0 at
/// confidence 1. Rows are solved in parallel on `threads` threads.
public enum ImplicitALS {
    public struct Parameters: Sendable, Codable, Equatable {
        public var factors: Int
        public var regularization: Float
        public var alpha: Float
        public var iterations: Int
        public var seed: UInt64
        /// CG steps per row per half-iteration (`implicit`'s `cg_steps`).
        public var conjugateGradientSteps: Int

        public init(factors: Int = 64, regularization: Float = 0.01, alpha: Float = 1, iterations: Int = 15, seed: UInt64 = 0, conjugateGradientSteps: Int = 3) {
            self.factors = factors
            self.regularization = regularization
            self.alpha = alpha
            self.iterations = iterations
            self.seed = seed
            self.conjugateGradientSteps = conjugateGradientSteps
        }
    }

    public struct Model: Sendable {
        public var userFactors: DenseMatrix
        public var itemFactors: DenseMatrix
    }

    /// Trains on `userItems` (users × items, raw weights). `progress` is told after each
    /// iteration, with its number from 1.
    public static func train(
        _ userItems: SparseMatrix, parameters: Parameters, threads: Int = 1, progress: (Int) -> Void = { _ in }
    ) -> Model {
        let k = parameters.factors
        var generator = SplitMix64(seed: parameters.seed)
        // Small uniform starting values, as `implicit` draws them.
        func start(_ rows: Int) -> DenseMatrix {
            DenseMatrix(rows: rows, columns: k, storage: (0..<rows * k).map { _ in Float(generator.unit()) * 0.01 })
        }
        var users = start(userItems.rowCount)
        var items = start(userItems.columnCount)
        let confidence = userItems.mapValues { $0 * parameters.alpha }
        let transposed = confidence.transposed()
        for iteration in 1...max(1, parameters.iterations) {
            step(confidence, solving: &users, against: items, parameters: parameters, threads: threads)
            step(transposed, solving: &items, against: users, parameters: parameters, threads: threads)
            progress(iteration)
        }
        return Model(userFactors: users, itemFactors: items)
    }

    /// The exact least-squares vector for one user with `entries` (item, raw weight) against
    /// fixed item factors: what a full retrain's user step converges to, without retraining.
    /// `gram` is `itemFactorsᵀ · itemFactors + regularization · I`.
    public static func foldIn(
        _ entries: [(item: Int, weight: Float)], itemFactors: DenseMatrix, gram: [Float], parameters: Parameters
    ) -> [Float] {
        let k = itemFactors.columnCount
        var matrix = gram
        var b = [Float](repeating: 0, count: k)
        for (item, weight) in entries {
            let c = weight * parameters.alpha
            let y = itemFactors.row(item)
            for a in 0..<k {
                b[a] += c * y[a]
                if c != 1 { for d in 0..<k { matrix[a * k + d] += (c - 1) * y[a] * y[d] } }
            }
        }
        return LinearAlgebra.solveSymmetric(matrix, b) ?? [Float](repeating: 0, count: k)
    }

    /// One half-iteration: every row of `solving` improved by CG against `fixed`.
    static func step(_ matrix: SparseMatrix, solving: inout DenseMatrix, against fixed: DenseMatrix, parameters: Parameters, threads: Int) {
        let k = parameters.factors
        let gram = fixed.gram(addingToDiagonal: parameters.regularization, threads: threads)
        let rows = matrix.rowCount
        let threads = max(1, min(threads, rows))
        gram.withUnsafeBufferPointer { gram in
            fixed.storage.withUnsafeBufferPointer { y in
                solving.storage.withUnsafeMutableBufferPointer { x in
                    matrix.columns.withUnsafeBufferPointer { columns in
                        matrix.values.withUnsafeBufferPointer { values in
                            let kernel = Kernel(
                                k: k, steps: parameters.conjugateGradientSteps, gram: gram.baseAddress!, y: y.baseAddress!,
                                x: x.baseAddress!, starts: matrix.rowStarts, columns: columns.baseAddress!, values: values.baseAddress!
                            )
                            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                                kernel.solve(rows: stride(from: thread, to: rows, by: threads))
                            }
                        }
                    }
                }
            }
        }
    }

    /// The CG update of a set of rows; each thread writes only its own rows of `x`.
    struct Kernel: @unchecked Sendable {
        let k: Int
        let steps: Int
        let gram: UnsafePointer<Float>
        let y: UnsafePointer<Float>
        let x: UnsafeMutablePointer<Float>
        let starts: [Int]
        let columns: UnsafePointer<Int32>
        let values: UnsafePointer<Float>

        func solve(rows: StrideTo<Int>) {
            let r = UnsafeMutablePointer<Float>.allocate(capacity: k)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: k)
            let ap = UnsafeMutablePointer<Float>.allocate(capacity: k)
            defer { r.deallocate(); p.deallocate(); ap.deallocate() }
            for row in rows {
                let xu = x + row * k
                // r = b - A·x, with A = YᵀY + λI + Σ (c - 1) y yᵀ and b = Σ c y.
                multiplyGram(xu, into: r, negate: true)
                for index in starts[row]..<starts[row + 1] {
                    let yi = y + Int(columns[index]) * k
                    let c = values[index]
                    LinearAlgebra.axpy(c - (c - 1) * LinearAlgebra.dot(yi, xu, k), yi, r, k)
                }
                p.update(from: r, count: k)
                var rsOld = LinearAlgebra.dot(r, r, k)
                if rsOld < 1e-20 { continue }
                for _ in 0..<steps {
                    multiplyGram(p, into: ap, negate: false)
                    for index in starts[row]..<starts[row + 1] {
                        let yi = y + Int(columns[index]) * k
                        LinearAlgebra.axpy((values[index] - 1) * LinearAlgebra.dot(yi, p, k), yi, ap, k)
                    }
                    let alpha = rsOld / LinearAlgebra.dot(p, ap, k)
                    LinearAlgebra.axpy(alpha, p, xu, k)
                    LinearAlgebra.axpy(-alpha, ap, r, k)
                    let rsNew = LinearAlgebra.dot(r, r, k)
                    if rsNew < 1e-20 { break }
                    let beta = rsNew / rsOld
                    for index in 0..<k { p[index] = r[index] + beta * p[index] }
                    rsOld = rsNew
                }
            }
        }

        /// `out = ±gram · v`.
        private func multiplyGram(_ v: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, negate: Bool) {
            for a in 0..<k {
                let value = LinearAlgebra.dot(gram + a * k, v, k)
                out[a] = negate ? -value : value
            }
        }
    }
}
