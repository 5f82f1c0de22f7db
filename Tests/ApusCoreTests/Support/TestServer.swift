import ApusCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

/// Builds a whole node (platform plus modules) on a fresh database for an HTTP test.
enum TestServer {
    static func withServer<Result: Sendable>(
        engine: DatabaseEngine = .sqlite,
        modules: [any Module] = [EchoModule()],
        migrate: Bool = true,
        logSink: LogSink? = nil,
        live: Bool = false,
        configure: @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @Sendable (ApusServer, any TestClientProtocol) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withDatabase(engine) { database async throws in
            var logger = Logger(label: "apus-test") { label in
                var handler = JSONLogHandler(label: label, sink: logSink ?? LogSink { _ in })
                handler.logLevel = .info
                return handler
            }
            logger.logLevel = .info
            var configuration = ApusConfiguration()
            configuration.port = 0
            configuration.bcryptCost = 4
            configure(&configuration)
            let platform = Platform(configuration: configuration, database: database, logger: logger)
            let server = try ApusServer(platform: platform, available: modules)
            if migrate { try await server.migrator.migrate() }
            let application = try server.makeApplication()
            return try await application.test(live ? .live : .router) { client in
                try await body(server, client)
            }
        }
    }
}

/// Collects log lines written during a test.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    var sink: LogSink { LogSink { line in self.lines.withLock { $0.append(line) } } }

    var all: [String] { lines.withLock { $0 } }
}
