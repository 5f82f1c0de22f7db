/// An invariant an `OrderedMap` found broken in its own tree.
public struct OrderedMapViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which invariant.
    public enum Kind: String, Sendable {
        /// A key outside the bounds its ancestors set (the search-tree property).
        case order
        /// A node's stored height is not one more than its taller child's.
        case height
        /// A node's children differ in height by more than one (the AVL property).
        case balance
        /// The map's count is not the number of nodes.
        case count
    }

    /// Which invariant is broken.
    public let kind: Kind
    /// Where, in words.
    public let detail: String

    @usableFromInline
    init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}

extension OrderedMap {
    /// Checks every invariant of the tree in `O(n)`: the search-tree property, the stored heights,
    /// the balance and the count.
    ///
    /// The search-tree property is checked with the bounds every ancestor sets, not only against
    /// the parent: a key in a left subtree must be below each ancestor it lies left of, however
    /// far up (the notes' "BST validation").
    @inlinable
    public func validate() throws(OrderedMapViolation) {
        let nodes = try Self.validate(root, above: nil, below: nil).nodes
        guard nodes == count else {
            throw OrderedMapViolation(.count, "count is \(count), the tree holds \(nodes)")
        }
    }

    /// The first broken invariant, or `nil`.
    @inlinable
    var violation: OrderedMapViolation? {
        do {
            try validate()
            return nil
        } catch {
            return error
        }
    }

    /// Validates the subtree at `node`, whose keys must lie strictly between `above` and
    /// `below` (each `nil` when unbounded); returns its height and number of nodes.
    @inlinable
    static func validate(_ node: Node?, above: Key?, below: Key?) throws(OrderedMapViolation) -> (height: Int, nodes: Int) {
        guard let node else { return (0, 0) }
        if let above, !(above < node.key) {
            throw OrderedMapViolation(.order, "key \(node.key) is not above its ancestor's key \(above)")
        }
        if let below, !(node.key < below) {
            throw OrderedMapViolation(.order, "key \(node.key) is not below its ancestor's key \(below)")
        }
        let left = try validate(node.left, above: above, below: node.key)
        let right = try validate(node.right, above: node.key, below: below)
        let height = 1 + Swift.max(left.height, right.height)
        guard node.height == height else {
            throw OrderedMapViolation(.height, "key \(node.key) stores height \(node.height), its subtree is \(height) high")
        }
        guard Swift.abs(left.height - right.height) <= 1 else {
            throw OrderedMapViolation(.balance, "key \(node.key) has subtrees \(left.height) and \(right.height) high")
        }
        return (height, left.nodes + right.nodes + 1)
    }
}
