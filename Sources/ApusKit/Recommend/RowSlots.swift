/// One result per row, filled by the threads of a `DispatchQueue.concurrentPerform` that each
/// write only their own rows (a stride of them), so no two threads touch one slot.
public final class RowSlots<Value: Sendable>: @unchecked Sendable {
    private var storage: [Value]

    public init(count: Int, initial: Value) { storage = Array(repeating: initial, count: count) }

    /// Sets row `index`; only the thread that owns the row may call it.
    public func set(_ index: Int, _ value: Value) { storage[index] = value }

    /// Every row, once the threads are done.
    public var all: [Value] { storage }
}
