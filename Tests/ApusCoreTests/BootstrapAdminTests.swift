@_spi(Platform) import ApusCore
import ApusTesting
import Testing

@Suite struct BootstrapAdminTests {
    /// Nodes of a cluster started together each try to make the first admin: one makes it, the
    /// others find it made, and none fails to start.
    @Test(arguments: DatabaseEngine.allCases)
    func nodesStartingTogetherMakeTheFirstAdminOnce(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: []) { server, _ in
            let made = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await server.identity.bootstrapAdmin(email: "root@example.com", password: "a long admin password") }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(made.filter { $0 }.count == 1)
            #expect(made.count == 4)
            #expect(try await server.identity.hasActiveAdmin())
        }
    }
}
