import ApusCore
import ApusKit
import NIOCore

/// What one step of a run hands the next: objects under `recs/runs/<model>/`, in the object
/// store every node shares, so each step may run on any node. Removed when the run ends.
struct RunArtefacts: Sendable {
    let store: any ObjectStore
    let model: String

    /// The transform's output.
    static let dataset = "dataset"
    /// The load step's output.
    static let matrices = "matrices"

    func write(_ name: String, _ buffer: ByteBuffer) async throws {
        let body = AsyncStream<ByteBuffer> { continuation in
            continuation.yield(buffer)
            continuation.finish()
        }
        _ = try await store.put(try key(name), body)
    }

    /// The artefact `name`; a run whose artefact is gone (the store was emptied, or the run
    /// was queued by a version that kept none) cannot go on and says so.
    func read(_ name: String) async throws -> ByteBuffer {
        var whole = ByteBuffer()
        do {
            try await store.read(try key(name), range: nil) { buffer in
                var buffer = buffer
                whole.writeBuffer(&buffer)
            }
        } catch ObjectStoreError.notFound {
            throw TrainingRefused("The run's \(name) is no longer in the object store: train the model again.")
        }
        return whole
    }

    func removeAll() async throws {
        for name in [Self.dataset, Self.matrices] { try await store.delete(try key(name)) }
    }

    private func key(_ name: String) throws -> ObjectKey {
        let path = "recs/runs/\(model)/\(name)"
        guard let key = ObjectKey(path) else { throw TrainingRefused("\(path) is not an object key.") }
        return key
    }
}

/// The load step's output: the numbered users and items, the matrix of every pair, and each
/// user's held-out items when the run evaluates (the split's training matrix is the full one
/// without them).
struct LoadedMatrices: Sendable {
    var users: [String]
    var items: [String]
    var full: SparseMatrix
    var heldOut: [Set<Int>]?

    /// The matrix to evaluate on: every pair but the held-out ones.
    func trainingSplit() -> (train: SparseMatrix, heldOut: [Set<Int>]) {
        guard let heldOut else { return (full, Array(repeating: [], count: full.rowCount)) }
        var entries: [SparseMatrix.Entry] = []
        entries.reserveCapacity(full.entryCount)
        for user in 0..<full.rowCount {
            for (item, value) in full.row(user) where !heldOut[user].contains(item) {
                entries.append(.init(row: user, column: item, value: value))
            }
        }
        return (SparseMatrix(rows: full.rowCount, columns: full.columnCount, entries: entries), heldOut)
    }
}

/// The binary form of the artefacts: little-endian integers, strings with their length.
enum ArtefactCoding {
    private static let datasetMagic: UInt32 = 0x5244_5331  // "RDS1"
    private static let matricesMagic: UInt32 = 0x524D_5831  // "RMX1"

    static func encode(_ dataset: Dataset) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(datasetMagic, endianness: .little)
        writeStrings(dataset.users, to: &buffer)
        writeStrings(dataset.items, to: &buffer)
        buffer.writeInteger(UInt64(dataset.pairs.count), endianness: .little)
        for pair in dataset.pairs {
            buffer.writeInteger(UInt32(pair.user), endianness: .little)
            buffer.writeInteger(UInt32(pair.item), endianness: .little)
            buffer.writeInteger(pair.weight.bitPattern, endianness: .little)
            buffer.writeInteger(pair.at, endianness: .little)
        }
        return buffer
    }

    static func decodeDataset(_ buffer: ByteBuffer) throws -> Dataset {
        var buffer = buffer
        guard try read(UInt32.self, &buffer) == datasetMagic else { throw damaged }
        let users = try readStrings(&buffer)
        let items = try readStrings(&buffer)
        let count = try count(&buffer, each: 20)
        var pairs: [Dataset.Pair] = []
        pairs.reserveCapacity(count)
        for _ in 0..<count {
            let user = Int(try read(UInt32.self, &buffer)), item = Int(try read(UInt32.self, &buffer))
            let weight = Float(bitPattern: try read(UInt32.self, &buffer)), at = try read(Int64.self, &buffer)
            guard user < users.count, item < items.count else { throw damaged }
            pairs.append(.init(user: user, item: item, weight: weight, at: at))
        }
        return Dataset(users: users, items: items, pairs: pairs)
    }

    static func encode(_ loaded: LoadedMatrices) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(matricesMagic, endianness: .little)
        writeStrings(loaded.users, to: &buffer)
        writeStrings(loaded.items, to: &buffer)
        let full = loaded.full
        buffer.writeInteger(UInt64(full.entryCount), endianness: .little)
        for start in full.rowStarts { buffer.writeInteger(UInt64(start), endianness: .little) }
        for column in full.columns { buffer.writeInteger(column, endianness: .little) }
        for value in full.values { buffer.writeInteger(value.bitPattern, endianness: .little) }
        buffer.writeInteger(UInt8(loaded.heldOut == nil ? 0 : 1))
        for items in loaded.heldOut ?? [] {
            buffer.writeInteger(UInt32(items.count), endianness: .little)
            for item in items.sorted() { buffer.writeInteger(UInt32(item), endianness: .little) }
        }
        return buffer
    }

    static func decodeMatrices(_ buffer: ByteBuffer) throws -> LoadedMatrices {
        var buffer = buffer
        guard try read(UInt32.self, &buffer) == matricesMagic else { throw damaged }
        let users = try readStrings(&buffer)
        let items = try readStrings(&buffer)
        let entries = try count(&buffer, each: 8)
        var rowStarts: [Int] = []
        rowStarts.reserveCapacity(users.count + 1)
        for _ in 0...users.count { rowStarts.append(Int(try read(UInt64.self, &buffer))) }
        var columns: [Int32] = []
        columns.reserveCapacity(entries)
        for _ in 0..<entries { columns.append(try read(Int32.self, &buffer)) }
        var values: [Float] = []
        values.reserveCapacity(entries)
        for _ in 0..<entries { values.append(Float(bitPattern: try read(UInt32.self, &buffer))) }
        guard let full = SparseMatrix(rowCount: users.count, columnCount: items.count, rowStarts: rowStarts, columns: columns, values: values) else {
            throw damaged
        }
        var heldOut: [Set<Int>]?
        if try read(UInt8.self, &buffer) == 1 {
            var sets: [Set<Int>] = []
            sets.reserveCapacity(users.count)
            for _ in 0..<users.count {
                let count = try count(&buffer, each: 4, as: UInt32.self)
                var set = Set<Int>(minimumCapacity: count)
                for _ in 0..<count {
                    let item = Int(try read(UInt32.self, &buffer))
                    guard item < items.count else { throw damaged }
                    set.insert(item)
                }
                sets.append(set)
            }
            heldOut = sets
        }
        return LoadedMatrices(users: users, items: items, full: full, heldOut: heldOut)
    }

    private static var damaged: TrainingRefused { TrainingRefused("A stored step output of the run is damaged: train the model again.") }

    private static func writeStrings(_ strings: [String], to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt64(strings.count), endianness: .little)
        for string in strings {
            buffer.writeInteger(UInt32(string.utf8.count), endianness: .little)
            buffer.writeString(string)
        }
    }

    private static func readStrings(_ buffer: inout ByteBuffer) throws -> [String] {
        let count = try count(&buffer, each: 4)
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int(try read(UInt32.self, &buffer))
            guard let string = buffer.readString(length: length) else { throw damaged }
            strings.append(string)
        }
        return strings
    }

    /// A count (stored as `Width`) of things at least `each` bytes long, refused when the buffer
    /// cannot hold them.
    private static func count<Width: FixedWidthInteger & UnsignedInteger>(
        _ buffer: inout ByteBuffer, each: Int, as width: Width.Type = UInt64.self
    ) throws -> Int {
        let count = try read(width, &buffer)
        guard UInt64(count) <= UInt64(buffer.readableBytes / each) else { throw damaged }
        return Int(count)
    }

    private static func read<Value: FixedWidthInteger>(_ type: Value.Type, _ buffer: inout ByteBuffer) throws -> Value {
        guard let value = buffer.readInteger(endianness: .little, as: type) else { throw damaged }
        return value
    }
}
