import Dispatch

/// A dense row-major matrix of `Float`: a model's factors, one row per user or item.
public struct DenseMatrix: Sendable, Equatable {
    public let rowCount: Int
    public let columnCount: Int
    public var storage: [Float]

    public init(rows: Int, columns: Int, storage: [Float]) {
        precondition(storage.count == rows * columns, "storage does not match the shape")
        self.rowCount = rows
        self.columnCount = columns
        self.storage = storage
    }

    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.init(rows: rows, columns: columns, storage: [Float](repeating: value, count: rows * columns))
    }

    /// Row `row` as an array.
    public func row(_ row: Int) -> [Float] {
        Array(storage[row * columnCount..<(row + 1) * columnCount])
    }

    /// `selfᵀ · self + diagonal · I` (k × k, row-major): the Gram matrix every ALS step starts from.
    ///
    /// Summed in `Double`, block by block of rows on `threads` threads, the blocks' sums then
    /// added in block order: the result is the same on any number of threads.
    public func gram(addingToDiagonal diagonal: Float = 0, threads: Int = 1) -> [Float] {
        let k = columnCount
        let blockRows = 256
        let blocks = max(1, (rowCount + blockRows - 1) / blockRows)
        let partials = RowSlots<[Double]>(count: blocks, initial: [])
        let threads = max(1, min(threads, blocks))
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let row = UnsafeMutablePointer<Double>.allocate(capacity: k)
            defer { row.deallocate() }
            storage.withUnsafeBufferPointer { rows in
                for block in stride(from: thread, to: blocks, by: threads) {
                    var sum = [Double](repeating: 0, count: k * k)
                    sum.withUnsafeMutableBufferPointer { out in
                        for index in (block * blockRows)..<min(rowCount, (block + 1) * blockRows) {
                            let base = rows.baseAddress! + index * k
                            for a in 0..<k { row[a] = Double(base[a]) }
                            // The upper triangle, a row of it at a time: a loop the compiler vectorises.
                            for a in 0..<k {
                                let value = row[a]
                                if value == 0 { continue }
                                let line = out.baseAddress! + a * k
                                for b in a..<k { line[b] += value * row[b] }
                            }
                        }
                    }
                    partials.set(block, sum)
                }
            }
        }
        var result = [Double](repeating: 0, count: k * k)
        for partial in partials.all {
            for index in 0..<(k * k) { result[index] += partial[index] }
        }
        var gram = [Float](repeating: 0, count: k * k)
        for a in 0..<k {
            for b in a..<k {
                gram[a * k + b] = Float(result[a * k + b])
                gram[b * k + a] = Float(result[a * k + b])
            }
            gram[a * k + a] += diagonal
        }
        return gram
    }

    /// `self · vector`: one score per row.
    public func times(_ vector: [Float]) -> [Float] {
        precondition(vector.count == columnCount)
        var scores = [Float](repeating: 0, count: rowCount)
        let k = columnCount
        storage.withUnsafeBufferPointer { rows in
            vector.withUnsafeBufferPointer { x in
                scores.withUnsafeMutableBufferPointer { out in
                    for row in 0..<rowCount { out[row] = LinearAlgebra.dot(rows.baseAddress! + row * k, x.baseAddress!, k) }
                }
            }
        }
        return scores
    }
}

/// The few dense kernels the models need, written for the compiler to vectorise.
public enum LinearAlgebra {
    /// A sum of products, eight lanes at a time: the compiler may not reorder a float sum to
    /// vectorise it, so the lanes are written out (the order is fixed, so results repeat).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        var lanes = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            lanes += rawA.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            index += 8
        }
        var sum = lanes.sum()
        while index < count {
            sum += a[index] * b[index]
            index += 1
        }
        return sum
    }

    /// `y += alpha · x`.
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        for index in 0..<count { y[index] += alpha * x[index] }
    }

    /// Solves `A · x = b` for a symmetric positive definite `A` (n × n, row-major) by Cholesky;
    /// `nil` when `A` is not positive definite.
    public static func solveSymmetric(_ matrix: [Float], _ b: [Float]) -> [Float]? {
        let n = b.count
        precondition(matrix.count == n * n)
        var l = matrix.map(Double.init)
        for j in 0..<n {
            var diagonal = l[j * n + j]
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            guard diagonal > 0 else { return nil }
            let root = diagonal.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<n {
                var value = l[i * n + j]
                for k in 0..<j { value -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = value / root
            }
        }
        var y = b.map(Double.init)
        for i in 0..<n {
            for k in 0..<i { y[i] -= l[i * n + k] * y[k] }
            y[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { y[i] -= l[k * n + i] * y[k] }
            y[i] /= l[i * n + i]
        }
        return y.map(Float.init)
    }
}
