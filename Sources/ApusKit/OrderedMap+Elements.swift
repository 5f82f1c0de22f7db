extension OrderedMap {
    /// The entries whose keys lie in a range, in ascending key order. Finding the first costs
    /// `O(log n)`, each next one `O(1)` amortised.
    public struct Elements: Sequence {
        @usableFromInline let root: Node?
        @usableFromInline let lower: Limit
        @usableFromInline let upper: Limit

        @inlinable
        init(root: Node?, lower: Limit, upper: Limit) {
            self.root = root
            self.lower = lower
            self.upper = upper
        }

        @inlinable
        public func makeIterator() -> Iterator {
            Iterator(root: root, lower: lower, upper: upper)
        }
    }

    /// Walks the tree in order with a stack of the nodes whose left side is being visited.
    public struct Iterator: IteratorProtocol {
        @usableFromInline var stack: [Node] = []
        @usableFromInline let upper: Limit

        @inlinable
        init(root: Node?, lower: Limit, upper: Limit) {
            self.upper = upper
            // Descend to the first key at or above `lower`, stacking the nodes still to visit.
            var current = root
            while let node = current {
                if lower.admitsAsLower(node.key) {
                    stack.append(node)
                    current = node.left
                } else {
                    current = node.right
                }
            }
        }

        @inlinable
        public mutating func next() -> (key: Key, value: Value)? {
            guard let node = stack.popLast(), upper.admitsAsUpper(node.key) else {
                stack.removeAll()
                return nil
            }
            var current = node.right
            while let next = current {
                stack.append(next)
                current = next.left
            }
            return (node.key, node.value)
        }
    }

    /// One end of a range of keys.
    @usableFromInline
    enum Limit {
        case unbounded
        case inclusive(Key)
        case exclusive(Key)

        @inlinable
        func admitsAsLower(_ key: Key) -> Bool {
            switch self {
            case .unbounded: true
            case .inclusive(let limit): limit <= key
            case .exclusive(let limit): limit < key
            }
        }

        @inlinable
        func admitsAsUpper(_ key: Key) -> Bool {
            switch self {
            case .unbounded: true
            case .inclusive(let limit): key <= limit
            case .exclusive(let limit): key < limit
            }
        }
    }

    /// The entries with keys in `range`, in ascending order.
    @inlinable
    public func elements(in range: Range<Key>) -> Elements {
        Elements(root: root, lower: .inclusive(range.lowerBound), upper: .exclusive(range.upperBound))
    }

    /// The entries with keys in `range`, in ascending order.
    @inlinable
    public func elements(in range: ClosedRange<Key>) -> Elements {
        Elements(root: root, lower: .inclusive(range.lowerBound), upper: .inclusive(range.upperBound))
    }

    /// The entries with keys from `range.lowerBound` on, in ascending order.
    @inlinable
    public func elements(in range: PartialRangeFrom<Key>) -> Elements {
        Elements(root: root, lower: .inclusive(range.lowerBound), upper: .unbounded)
    }

    /// The entries with keys below `range.upperBound`, in ascending order.
    @inlinable
    public func elements(in range: PartialRangeUpTo<Key>) -> Elements {
        Elements(root: root, lower: .unbounded, upper: .exclusive(range.upperBound))
    }

    /// The entries with keys up to `range.upperBound`, in ascending order.
    @inlinable
    public func elements(in range: PartialRangeThrough<Key>) -> Elements {
        Elements(root: root, lower: .unbounded, upper: .inclusive(range.upperBound))
    }
}

extension OrderedMap: Sequence {
    /// Iterates every entry in ascending key order.
    @inlinable
    public func makeIterator() -> Iterator {
        Iterator(root: root, lower: .unbounded, upper: .unbounded)
    }

    @inlinable
    public var underestimatedCount: Int { count }
}

extension OrderedMap.Elements: @unchecked Sendable where Key: Sendable, Value: Sendable {}
extension OrderedMap.Iterator: @unchecked Sendable where Key: Sendable, Value: Sendable {}
