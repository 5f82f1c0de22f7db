/// A least-recently-used cache with O(1) `get` and `put`.
///
/// The recency list is a doubly linked list kept in arrays (slots indexed by `Int`), so entries
/// cost no allocation each and the structure stays a value type. Not thread-safe: wrap it in an
/// actor or a mutex-guarded owner.
public struct LRUCache<Key: Hashable, Value> {
    @usableFromInline
    struct Slot {
        @usableFromInline var key: Key
        @usableFromInline var value: Value
        @usableFromInline var previous: Int
        @usableFromInline var next: Int

        @inlinable
        init(key: Key, value: Value, previous: Int, next: Int) {
            self.key = key
            self.value = value
            self.previous = previous
            self.next = next
        }
    }

    /// The most entries kept; putting one more evicts the least recently used.
    public let capacity: Int
    @usableFromInline var slots: [Slot] = []
    @usableFromInline var index: [Key: Int] = [:]
    @usableFromInline var freeSlots: [Int] = []
    /// Most recently used.
    @usableFromInline var head = -1
    /// Least recently used.
    @usableFromInline var tail = -1

    /// Creates an empty cache holding at most `capacity` entries (at least one).
    @inlinable
    public init(capacity: Int) {
        precondition(capacity > 0, "an LRU cache needs room for at least one entry")
        self.capacity = capacity
        index.reserveCapacity(capacity)
    }

    /// The number of entries held.
    @inlinable
    public var count: Int { index.count }

    /// Returns the value for `key` and marks it most recently used.
    @inlinable
    public mutating func get(_ key: Key) -> Value? {
        guard let position = index[key] else { return nil }
        moveToFront(position)
        return slots[position].value
    }

    /// Returns the value for `key` without changing recency.
    @inlinable
    public func peek(_ key: Key) -> Value? {
        index[key].map { slots[$0].value }
    }

    /// Stores `value` for `key` as most recently used; returns the entry evicted to make room, if any.
    @discardableResult
    @inlinable
    public mutating func put(_ key: Key, _ value: Value) -> (key: Key, value: Value)? {
        if let position = index[key] {
            slots[position].value = value
            moveToFront(position)
            return nil
        }
        var evicted: (key: Key, value: Value)?
        if index.count >= capacity {
            let victim = tail
            evicted = (slots[victim].key, slots[victim].value)
            unlink(victim)
            index[slots[victim].key] = nil
            freeSlots.append(victim)
        }
        let slot = Slot(key: key, value: value, previous: -1, next: head)
        let position: Int
        if let reused = freeSlots.popLast() {
            slots[reused] = slot
            position = reused
        } else {
            slots.append(slot)
            position = slots.count - 1
        }
        if head >= 0 { slots[head].previous = position }
        head = position
        if tail < 0 { tail = position }
        index[key] = position
        return evicted
    }

    /// Changes the value for `key` in place, storing `make()` first when there is none, and
    /// marks it most recently used; returns what `change` returns. One lookup, where a `get`
    /// followed by a `put` takes two.
    @inlinable
    public mutating func update<Result>(_ key: Key, orInsert make: () -> Value, _ change: (inout Value) -> Result) -> Result {
        if let position = index[key] {
            moveToFront(position)
            return change(&slots[position].value)
        }
        put(key, make())
        return change(&slots[head].value)
    }

    /// Removes the entry for `key`, returning its value.
    @discardableResult
    @inlinable
    public mutating func remove(_ key: Key) -> Value? {
        guard let position = index.removeValue(forKey: key) else { return nil }
        unlink(position)
        freeSlots.append(position)
        return slots[position].value
    }

    /// Removes every entry.
    public mutating func removeAll() {
        slots.removeAll()
        index.removeAll()
        freeSlots.removeAll()
        head = -1
        tail = -1
    }

    /// Keys from most to least recently used.
    public var keysByRecency: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(count)
        var position = head
        while position >= 0 {
            keys.append(slots[position].key)
            position = slots[position].next
        }
        return keys
    }

    @inlinable
    mutating func unlink(_ position: Int) {
        let previous = slots[position].previous
        let next = slots[position].next
        if previous >= 0 { slots[previous].next = next } else { head = next }
        if next >= 0 { slots[next].previous = previous } else { tail = previous }
        slots[position].previous = -1
        slots[position].next = -1
    }

    @inlinable
    mutating func moveToFront(_ position: Int) {
        guard position != head else { return }
        unlink(position)
        slots[position].next = head
        if head >= 0 { slots[head].previous = position }
        head = position
        if tail < 0 { tail = position }
    }
}

extension LRUCache: Sendable where Key: Sendable, Value: Sendable {}
extension LRUCache.Slot: Sendable where Key: Sendable, Value: Sendable {}
