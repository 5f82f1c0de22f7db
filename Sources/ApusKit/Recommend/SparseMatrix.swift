/// A sparse matrix in compressed sparse row form: the user × item matrix of interactions that
/// every recommendation model trains on. Row `r`'s entries are `columns[rowStarts[r] ..<
/// rowStarts[r + 1]]` with their `values`, columns ascending.
public struct SparseMatrix: Sendable, Equatable {
    /// One entry to build a matrix from.
    public struct Entry: Sendable, Equatable {
        public var row: Int
        public var column: Int
        public var value: Float

        public init(row: Int, column: Int, value: Float) {
            self.row = row
            self.column = column
            self.value = value
        }
    }

    public let rowCount: Int
    public let columnCount: Int
    public let rowStarts: [Int]
    public let columns: [Int32]
    public let values: [Float]

    /// The matrix of `entries`; entries at the same place are added together.
    public init(rows: Int, columns columnCount: Int, entries: [Entry]) {
        precondition(columnCount < Int(Int32.max), "too many columns for 32-bit indices")
        let sorted = entries.sorted { ($0.row, $0.column) < ($1.row, $1.column) }
        var starts = [Int](repeating: 0, count: rows + 1)
        var columns: [Int32] = []
        var values: [Float] = []
        columns.reserveCapacity(sorted.count)
        values.reserveCapacity(sorted.count)
        var previous: (row: Int, column: Int)?
        for entry in sorted {
            precondition((0..<rows).contains(entry.row) && (0..<columnCount).contains(entry.column), "entry outside the matrix")
            if let previous, previous == (entry.row, entry.column) {
                values[values.count - 1] += entry.value
                continue
            }
            starts[entry.row + 1] += 1
            columns.append(Int32(entry.column))
            values.append(entry.value)
            previous = (entry.row, entry.column)
        }
        for row in 0..<rows { starts[row + 1] += starts[row] }
        self.init(checkedRowCount: rows, columnCount: columnCount, rowStarts: starts, columns: columns, values: values)
    }

    /// A matrix from its stored parts, or `nil` unless they are a well-formed one: `rowCount + 1`
    /// starts from 0 to the entry count without going back, and each row's columns ascending
    /// and inside the matrix.
    public init?(rowCount: Int, columnCount: Int, rowStarts: [Int], columns: [Int32], values: [Float]) {
        guard rowCount >= 0, columnCount >= 0, columnCount < Int(Int32.max), rowStarts.count == rowCount + 1,
              rowStarts.first == 0, rowStarts.last == columns.count, columns.count == values.count
        else { return nil }
        for row in 0..<rowCount {
            guard rowStarts[row] <= rowStarts[row + 1] else { return nil }
            var previous: Int32 = -1
            for column in columns[rowStarts[row]..<rowStarts[row + 1]] {
                guard column > previous, Int(column) < columnCount else { return nil }
                previous = column
            }
        }
        self.init(checkedRowCount: rowCount, columnCount: columnCount, rowStarts: rowStarts, columns: columns, values: values)
    }

    private init(checkedRowCount rowCount: Int, columnCount: Int, rowStarts: [Int], columns: [Int32], values: [Float]) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values
    }

    /// How many entries are stored.
    public var entryCount: Int { values.count }

    /// The range of `columns` and `values` that holds row `row`.
    @inlinable public func range(of row: Int) -> Range<Int> { rowStarts[row]..<rowStarts[row + 1] }

    /// Row `row` as (column, value) pairs.
    public func row(_ row: Int) -> [(column: Int, value: Float)] {
        range(of: row).map { (Int(columns[$0]), values[$0]) }
    }

    /// The same entries with rows and columns exchanged (the item × user matrix).
    public func transposed() -> SparseMatrix {
        var starts = [Int](repeating: 0, count: columnCount + 1)
        for column in columns { starts[Int(column) + 1] += 1 }
        for column in 0..<columnCount { starts[column + 1] += starts[column] }
        var next = starts
        var rows = [Int32](repeating: 0, count: columns.count)
        var moved = [Float](repeating: 0, count: values.count)
        for row in 0..<rowCount {
            for index in range(of: row) {
                let column = Int(columns[index])
                rows[next[column]] = Int32(row)
                moved[next[column]] = values[index]
                next[column] += 1
            }
        }
        return SparseMatrix(checkedRowCount: columnCount, columnCount: rowCount, rowStarts: starts, columns: rows, values: moved)
    }

    /// The matrix with every value passed through `transform`.
    public func mapValues(_ transform: (Float) -> Float) -> SparseMatrix {
        SparseMatrix(checkedRowCount: rowCount, columnCount: columnCount, rowStarts: rowStarts, columns: columns, values: values.map(transform))
    }
}
