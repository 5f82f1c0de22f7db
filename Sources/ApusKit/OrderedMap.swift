/// A map kept in key order: an AVL tree with `O(log n)` lookup, insertion, removal, floor and
/// ceiling, and in-order iteration over a range of keys.
///
/// AVL rather than red-black or a treap: its height bound is the strictest (at most about
/// 1.44 log₂ n), lookups dominate for the interval set it backs, its invariant (children's heights
/// differ by at most one) is checked from stored heights in a few lines, and it needs no
/// randomness, so a tree's shape depends only on what was done to it.
///
/// A value type: nodes are shared between copies and copied on write, one path at a time, so a
/// copy costs nothing and the first mutation after it copies `O(log n)` nodes. Debug builds check
/// every invariant (`validate()`) after each mutation, which makes mutations `O(n)` there.
public struct OrderedMap<Key: Comparable, Value> {
    @usableFromInline var root: Node?

    @usableFromInline var nodeCount: Int

    /// Creates an empty map.
    @inlinable
    public init() {
        root = nil
        nodeCount = 0
    }

    /// The number of entries.
    @inlinable
    public var count: Int { nodeCount }

    /// Whether the map has no entries.
    @inlinable
    public var isEmpty: Bool { root == nil }

    /// The value stored for `key`; setting `nil` removes the entry.
    @inlinable
    public subscript(key: Key) -> Value? {
        get { node(for: key)?.value }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Whether `key` has an entry.
    @inlinable
    public func contains(_ key: Key) -> Bool {
        node(for: key) != nil
    }

    /// Stores `value` for `key`; returns the value it replaced, if any.
    @inlinable
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        let replaced = Node.insert(key, value, into: &root)
        if replaced == nil { nodeCount += 1 }
        assertValid()
        return replaced
    }

    /// Removes the entry for `key`; returns its value, if there was one.
    @inlinable
    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        // A missing key leaves the tree untouched rather than copying a path for nothing.
        guard contains(key) else { return nil }
        let removed = Node.remove(key, from: &root)
        nodeCount -= 1
        assertValid()
        return removed
    }

    /// The entry with the greatest key less than or equal to `key`.
    @inlinable
    public func floor(_ key: Key) -> (key: Key, value: Value)? {
        var current = root
        var best: Node?
        while let node = current {
            if key < node.key {
                current = node.left
            } else if node.key < key {
                best = node
                current = node.right
            } else {
                return (node.key, node.value)
            }
        }
        return best.map { ($0.key, $0.value) }
    }

    /// The entry with the least key greater than or equal to `key`.
    @inlinable
    public func ceiling(_ key: Key) -> (key: Key, value: Value)? {
        var current = root
        var best: Node?
        while let node = current {
            if node.key < key {
                current = node.right
            } else if key < node.key {
                best = node
                current = node.left
            } else {
                return (node.key, node.value)
            }
        }
        return best.map { ($0.key, $0.value) }
    }

    /// The entry with the least key.
    @inlinable
    public var first: (key: Key, value: Value)? {
        var current = root
        while let left = current?.left { current = left }
        return current.map { ($0.key, $0.value) }
    }

    /// The entry with the greatest key.
    @inlinable
    public var last: (key: Key, value: Value)? {
        var current = root
        while let right = current?.right { current = right }
        return current.map { ($0.key, $0.value) }
    }

    @inlinable
    func node(for key: Key) -> Node? {
        var current = root
        while let node = current {
            if key < node.key {
                current = node.left
            } else if node.key < key {
                current = node.right
            } else {
                return node
            }
        }
        return nil
    }

    @inlinable
    func assertValid() {
        assert(violation == nil, "OrderedMap invariant broken: \(violation!)")
    }
}

// Shared nodes are never mutated: a node is changed only while its one owner holds it
// (`isKnownUniquelyReferenced`), so copies on other threads see immutable nodes.
extension OrderedMap: @unchecked Sendable where Key: Sendable, Value: Sendable {}

extension OrderedMap: Equatable where Value: Equatable {
    @inlinable
    public static func == (lhs: Self, rhs: Self) -> Bool {
        if lhs.root === rhs.root { return true }
        return lhs.count == rhs.count && lhs.elementsEqual(rhs) { $0.key == $1.key && $0.value == $1.value }
    }
}
