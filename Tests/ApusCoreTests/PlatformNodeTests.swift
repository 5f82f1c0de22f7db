@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import Logging
import Testing

/// A node has one name, `platform.node`: on the leases its job workers take and on every log
/// line it writes.
@Suite struct PlatformNodeTests {
    /// A module whose one job logs and then waits for the test.
    struct HoldingModule: Module {
        let name = "probe"
        let gate: Gate

        func start(_ platform: Platform) throws -> ModuleParts {
            let logger = platform.logger(module: name)
            return ModuleParts(jobHandlers: [
                JobHandler(kind: "probe.hold") { [gate] _ in
                    logger.info("probe job running")
                    await gate.wait()
                }
            ])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func theNodesNameIsOnItsLeasesAndItsLogLines(engine: DatabaseEngine) async throws {
        let gate = Gate()
        let lines = LogLines()
        try await TestServer.withNode(engine: engine, modules: [HoldingModule(gate: gate)], logSink: lines.sink) { server, _ in
            let node = server.platform.node
            #expect(node.hasPrefix("node_"))
            _ = try await server.platform.transaction { try await $0.enqueue(NewJob(kind: "probe.hold")) }
            func holder() async throws -> String? {
                try await server.platform.read {
                    try await $0.raw("SELECT leased_by FROM apus_jobs WHERE kind = 'probe.hold' AND state = 'running'").first()?
                        .decode(column: "leased_by", as: String?.self)
                }
            }
            try await expectEventually { try await holder() != nil }
            #expect(try await holder() == node)
            // The lease is taken before the handler runs and logs.
            try await expectEventually { lines.all.contains { $0.contains("probe job running") } }
            await gate.open()
            let line = try #require(lines.all.first { $0.contains("probe job running") })
            let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(fields["node"] as? String == node)
            #expect(fields["module"] as? String == "probe")
        }
    }
}
