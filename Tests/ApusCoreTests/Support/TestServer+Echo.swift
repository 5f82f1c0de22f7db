import ApusCore
import ApusTesting
import HummingbirdTesting

extension TestServer {
    /// A node running the platform and the echo module, unless told otherwise.
    static func withServer<Result: Sendable>(
        engine: DatabaseEngine = .sqlite,
        modules: [any Module] = [EchoModule()],
        migrate: Bool = true,
        logSink: LogSink? = nil,
        live: Bool = false,
        clock: TestClock? = nil,
        configure: @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @Sendable (ApusServer, any TestClientProtocol) async throws -> Result
    ) async throws -> Result {
        try await withNode(engine: engine, modules: modules, migrate: migrate, logSink: logSink, live: live, clock: clock, configure: configure, body)
    }
}
