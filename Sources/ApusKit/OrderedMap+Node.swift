extension OrderedMap {
    /// A tree node. Mutated only through a slot that holds the one reference to it; a shared
    /// node is copied first (path copying), so every copy of the map keeps its own tree.
    @usableFromInline
    final class Node {
        @usableFromInline var key: Key
        @usableFromInline var value: Value
        @usableFromInline var left: Node?
        @usableFromInline var right: Node?
        /// Nodes on the longest path down from here, this one included.
        @usableFromInline var height: Int

        @inlinable
        init(key: Key, value: Value, left: Node? = nil, right: Node? = nil, height: Int = 1) {
            self.key = key
            self.value = value
            self.left = left
            self.right = right
            self.height = height
        }

        /// Returns the node in `slot`, copied first unless the slot holds its only reference.
        @inlinable
        static func unique(_ slot: inout Node?) -> Node {
            if !isKnownUniquelyReferenced(&slot) {
                let shared = slot!
                slot = Node(key: shared.key, value: shared.value, left: shared.left, right: shared.right, height: shared.height)
            }
            return slot!
        }

        /// Inserts or replaces `key` in the subtree in `slot`; returns the replaced value.
        @inlinable
        static func insert(_ key: Key, _ value: Value, into slot: inout Node?) -> Value? {
            guard slot != nil else {
                slot = Node(key: key, value: value)
                return nil
            }
            let node = unique(&slot)
            let replaced: Value?
            if key < node.key {
                replaced = insert(key, value, into: &node.left)
            } else if node.key < key {
                replaced = insert(key, value, into: &node.right)
            } else {
                replaced = node.value
                node.value = value
                return replaced
            }
            // A replaced value leaves the shape as it was.
            if replaced == nil { slot = rebalance(node) }
            return replaced
        }

        /// Removes `key`, which must be in the subtree in `slot`; returns its value.
        @inlinable
        static func remove(_ key: Key, from slot: inout Node?) -> Value {
            let node = unique(&slot)
            let removed: Value
            if key < node.key {
                removed = remove(key, from: &node.left)
            } else if node.key < key {
                removed = remove(key, from: &node.right)
            } else {
                removed = node.value
                guard node.left != nil else {
                    slot = node.right
                    return removed
                }
                guard node.right != nil else {
                    slot = node.left
                    return removed
                }
                // Two children: the in-order successor takes this node's place.
                let successor = removeFirst(from: &node.right)
                node.key = successor.key
                node.value = successor.value
            }
            slot = rebalance(node)
            return removed
        }

        /// Removes and returns the least entry of the non-empty subtree in `slot`.
        @inlinable
        static func removeFirst(from slot: inout Node?) -> (key: Key, value: Value) {
            let node = unique(&slot)
            guard node.left != nil else {
                slot = node.right
                return (node.key, node.value)
            }
            let first = removeFirst(from: &node.left)
            slot = rebalance(node)
            return first
        }

        @inlinable
        static func height(_ node: Node?) -> Int {
            node?.height ?? 0
        }

        @inlinable
        func updateHeight() {
            height = 1 + Swift.max(Node.height(left), Node.height(right))
        }

        /// Restores the AVL invariant at `node` (uniquely held, children balanced, heights
        /// differing by at most two) and returns the subtree's new root.
        @inlinable
        static func rebalance(_ node: Node) -> Node {
            node.updateHeight()
            let balance = height(node.left) - height(node.right)
            // No local reference to a child is kept: it would make the child look shared.
            if balance > 1 {
                if height(node.left!.left) < height(node.left!.right) {
                    node.left = rotateLeft(unique(&node.left))
                }
                return rotateRight(node)
            }
            if balance < -1 {
                if height(node.right!.right) < height(node.right!.left) {
                    node.right = rotateRight(unique(&node.right))
                }
                return rotateLeft(node)
            }
            return node
        }

        /// Lifts `node`'s left child above it. `node` must be uniquely held.
        @inlinable
        static func rotateRight(_ node: Node) -> Node {
            let pivot = unique(&node.left)
            node.left = pivot.right
            pivot.right = node
            node.updateHeight()
            pivot.updateHeight()
            return pivot
        }

        /// Lifts `node`'s right child above it. `node` must be uniquely held.
        @inlinable
        static func rotateLeft(_ node: Node) -> Node {
            let pivot = unique(&node.right)
            node.right = pivot.left
            pivot.left = node
            node.updateHeight()
            pivot.updateHeight()
            return pivot
        }
    }
}
