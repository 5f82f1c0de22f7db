import ApusKit
import Testing

@Suite struct TopologicalSortTests {
    @Test func placesEveryNodeAfterItsDependencies() throws {
        let graph = ["app": ["core", "kit"], "core": ["kit"], "kit": [], "links": ["core"]]
        let order = try TopologicalSort.sort(["links", "app", "core", "kit"]) { graph[$0]! }
        #expect(order == ["kit", "core", "links", "app"])
    }

    @Test func keepsInputOrderAmongIndependentNodes() throws {
        #expect(try TopologicalSort.sort(["c", "a", "b"]) { _ in [] } == ["c", "a", "b"])
    }

    @Test func reportsTheMembersOfACycle() {
        let graph = ["a": ["c"], "b": ["a"], "c": ["b"], "d": []]
        #expect {
            try TopologicalSort.sort(["a", "b", "c", "d"]) { graph[$0]! }
        } throws: { error in
            (error as? TopologicalSort.CycleError<String>)?.members == ["a", "b", "c"]
        }
    }

    @Test func reportsAMissingDependency() {
        #expect {
            try TopologicalSort.sort(["a"]) { _ in ["ghost"] }
        } throws: { error in
            let missing = error as? TopologicalSort.MissingDependencyError<String>
            return missing?.node == "a" && missing?.missing == "ghost"
        }
    }
}
