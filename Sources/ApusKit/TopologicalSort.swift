/// Orders nodes so that every node comes after the nodes it depends on, with Kahn's algorithm.
public enum TopologicalSort {
    /// A dependency cycle, naming the nodes that are on it or wait behind it.
    public struct CycleError<Node: Hashable & Sendable>: Error, Sendable {
        /// Nodes that could not be ordered, in input order.
        public let members: [Node]
    }

    /// A dependency on a node that is not in the graph.
    public struct MissingDependencyError<Node: Hashable & Sendable>: Error, Sendable {
        /// The node that declares the dependency.
        public let node: Node
        /// The dependency that is absent.
        public let missing: Node
    }

    /// Returns `nodes` ordered so each comes after its `dependencies`.
    ///
    /// Among nodes that are ready at the same time, input order is kept, so the result is
    /// deterministic. Throws ``CycleError`` or ``MissingDependencyError``.
    public static func sort<Node: Hashable & Sendable>(
        _ nodes: [Node],
        dependencies: (Node) -> [Node]
    ) throws -> [Node] {
        let position = Dictionary(nodes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var indegree = [Int](repeating: 0, count: nodes.count)
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for dependency in Set(dependencies(node)) {
                guard let from = position[dependency] else {
                    throw MissingDependencyError(node: node, missing: dependency)
                }
                dependents[from].append(index)
                indegree[index] += 1
            }
        }
        // A min-ordered ready list keeps input order among ready nodes.
        var ready = indegree.indices.filter { indegree[$0] == 0 }.reversed() as [Int]
        var ordered: [Node] = []
        ordered.reserveCapacity(nodes.count)
        while let next = ready.popLast() {
            ordered.append(nodes[next])
            for dependent in dependents[next] {
                indegree[dependent] -= 1
                if indegree[dependent] == 0 {
                    let insertAt = ready.firstIndex { $0 < dependent } ?? ready.endIndex
                    ready.insert(dependent, at: insertAt)
                }
            }
        }
        guard ordered.count == nodes.count else {
            throw CycleError(members: nodes.indices.filter { indegree[$0] > 0 }.map { nodes[$0] })
        }
        return ordered
    }
}

extension TopologicalSort.CycleError: CustomStringConvertible {
    public var description: String {
        "dependency cycle among: " + members.map { "\($0)" }.joined(separator: ", ")
    }
}

extension TopologicalSort.MissingDependencyError: CustomStringConvertible {
    public var description: String { "\(node) depends on \(missing), which does not exist" }
}
