@testable import ApusKit
import Testing

/// Trees built by hand, each with one invariant broken, to show that `validate()` notices.
@Suite struct OrderedMapValidationTests {
    typealias Node = OrderedMap<Int, Int>.Node

    func map(_ root: Node, count: Int) -> OrderedMap<Int, Int> {
        var map = OrderedMap<Int, Int>()
        map.root = root
        map.nodeCount = count
        return map
    }

    @Test func aKeyInOrderWithItsParentButNotItsGrandparentIsFound() {
        // 12 is right of 5, as it should be, but inside 10's left subtree: checking each node
        // against its parent alone would pass this tree.
        let root = Node(key: 10, value: 0, left: Node(key: 5, value: 0, right: Node(key: 12, value: 0), height: 2), right: Node(key: 15, value: 0), height: 3)
        #expect(throws: OrderedMapViolation.self) { try map(root, count: 4).validate() }
        #expect(map(root, count: 4).violation?.kind == .order)
    }

    @Test func aDuplicateKeyIsAnOrderViolation() {
        let root = Node(key: 10, value: 0, left: Node(key: 10, value: 1), height: 2)
        #expect(map(root, count: 2).violation?.kind == .order)
    }

    @Test func aWrongStoredHeightIsFound() {
        let root = Node(key: 10, value: 0, left: Node(key: 5, value: 0), height: 3)
        #expect(map(root, count: 2).violation?.kind == .height)
    }

    @Test func aLopsidedTreeIsFound() {
        let root = Node(key: 1, value: 0, right: Node(key: 2, value: 0, right: Node(key: 3, value: 0), height: 2), height: 3)
        #expect(map(root, count: 3).violation?.kind == .balance)
    }

    @Test func aCountThatDisagreesWithTheTreeIsFound() {
        let root = Node(key: 1, value: 0)
        #expect(map(root, count: 2).violation?.kind == .count)
        #expect(map(root, count: 1).violation == nil)
    }

    @Test func heightStaysWithinTheAVLBound() {
        var map = OrderedMap<Int, Int>()
        for key in 0..<1_000 { map[(key * 7_919) % 1_009] = key }
        // An AVL tree of n nodes is less than 1.4405 log2(n + 2) - 0.3277 high: 14 here.
        #expect(map.count == 1_000)
        #expect(map.root!.height <= 14)
        #expect(map.violation == nil)
    }
}
