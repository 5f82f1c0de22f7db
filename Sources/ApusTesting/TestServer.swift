public import ApusCore
import Foundation
import Hummingbird
public import HummingbirdTesting
import Logging
import Synchronization

/// Builds a whole node (platform plus modules) on a fresh database for an HTTP test.
public enum TestServer {
    /// A node with `modules` on a fresh database of `engine`, driven through HummingbirdTesting.
    public static func withNode<Result: Sendable>(
        engine: DatabaseEngine = .sqlite,
        modules: [any Module],
        migrate: Bool = true,
        logSink: LogSink? = nil,
        live: Bool = false,
        clock: TestClock? = nil,
        replica: Bool = false,
        configure: @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @Sendable (ApusServer, any TestClientProtocol) async throws -> Result
    ) async throws -> Result {
        try await TestDatabase.withDatabase(engine) { database async throws in
            // The test server's streaming replica, reading this test's schema.
            let replicaLocation = replica ? try TestDatabase.replica(of: database) : nil
            var logger = Logger(label: "apus-test") { label in
                var handler = JSONLogHandler(label: label, sink: logSink ?? LogSink { _ in })
                handler.logLevel = .info
                return handler
            }
            logger.logLevel = .info
            var configuration = ApusConfiguration()
            configuration.port = 0
            configuration.bcryptCost = 4
            // Tests send wrong credentials on purpose, far more than a person would.
            configuration.authFailureRateLimit = RateLimitPolicy(name: "auth-failures", limit: 100_000, window: 60)
            // A loaded machine pauses a test longer than the 30 s idle timeout between two
            // requests on one kept-alive connection, and the server's close then races the
            // client's reuse ("I/O on closed channel"). Tests of the timeout set their own.
            configuration.httpIdleTimeout = 600
            if let replicaLocation {
                configuration.replicas.locations = [replicaLocation]
                configuration.replicas.checkInterval = 0.05
            }
            configure(&configuration)
            let platform = makePlatform(configuration, database, logger, clock)
            let server = try ApusServer(platform: platform, available: modules)
            try await server.openOwnDatabases()
            if migrate { try await server.migrator.migrate() }
            let application = try server.makeApplication()
            return try await application.test(live ? .live : .router) { client in
                try await body(server, client)
            }
        }
    }
}

extension TestServer {
    static func makePlatform(_ configuration: ApusConfiguration, _ database: any Database, _ logger: Logger, _ clock: TestClock?) -> Platform {
        guard let clock else { return Platform(configuration: configuration, database: database, logger: logger) }
        return Platform(configuration: configuration, database: database, logger: logger, now: clock.now)
    }

    /// Two nodes sharing one fresh database, both serving on real sockets. On SQLite the nodes
    /// share one process and so its in-process bus; on PostgreSQL each has its own LISTEN link.
    public static func withTwoNodes(
        engine: DatabaseEngine,
        modules: [any Module] = [],
        configure: @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withTwoServers(engine: engine, modules: modules, configure: configure) { first, second in
            try await body(first.1, second.1)
        }
    }
}

extension TestServer {
    /// Two nodes sharing one fresh database, with their servers (to reach the platform, or make
    /// an admin), both serving on real sockets.
    public static func withTwoServers(
        engine: DatabaseEngine,
        modules: [any Module] = [],
        configure: @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @Sendable ((ApusServer, any TestClientProtocol), (ApusServer, any TestClientProtocol)) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            var configuration = ApusConfiguration()
            configuration.bcryptCost = 4
            configuration.authFailureRateLimit = RateLimitPolicy(name: "auth-failures", limit: 100_000, window: 60)
            configuration.httpIdleTimeout = 600  // as in `withNode`
            configure(&configuration)
            let bus: (any ClusterBus)? = engine == .sqlite ? LocalBus() : nil
            let nodes = try (0..<2).map { _ in
                try ApusServer(platform: Platform(configuration: configuration, database: database, logger: TestDatabase.logger, bus: bus), available: modules)
            }
            try await nodes[0].openOwnDatabases()
            try await nodes[1].openOwnDatabases(sharingWith: nodes[0])
            try await nodes[0].migrator.migrate()
            let first = try nodes[0].makeApplication()
            let second = try nodes[1].makeApplication()
            try await first.test(.live) { a in
                try await second.test(.live) { b in
                    try await body((nodes[0], a), (nodes[1], b))
                }
            }
        }
    }
}

extension TestServer {
    /// Nodes that each run their own set of modules (two releases of one module, say) on one
    /// shared `database`, none migrating as it starts, all serving on real sockets: what a
    /// rolling deploy runs side by side. Each node's ``ApusServer/migrator`` applies its
    /// release's migrations when the test says, as `apus migrate` would.
    public static func withNodes<Result: Sendable>(
        sharing database: any Database,
        running moduleSets: [[any Module]],
        configure: @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @Sendable ([(ApusServer, any TestClientProtocol)]) async throws -> Result
    ) async throws -> Result {
        var configuration = ApusConfiguration()
        configuration.bcryptCost = 4
        configuration.httpIdleTimeout = 600  // as in `withNode`
        configure(&configuration)
        let bus: (any ClusterBus)? = database.engine == .sqlite ? LocalBus() : nil
        let nodes = try moduleSets.map { modules in
            try ApusServer(platform: Platform(configuration: configuration, database: database, logger: TestDatabase.logger, bus: bus), available: modules)
        }
        for node in nodes { try await node.openOwnDatabases() }
        let applications = try nodes.map { try $0.makeApplication() }
        return try await serve(applications[...], clients: []) { clients in
            try await body(Array(zip(nodes, clients)))
        }
    }

    private static func serve<Result: Sendable>(
        _ applications: ArraySlice<some ApplicationProtocol>, clients: [any TestClientProtocol],
        _ body: @Sendable ([any TestClientProtocol]) async throws -> Result
    ) async throws -> Result {
        guard let first = applications.first else { return try await body(clients) }
        return try await first.test(.live) { client in
            try await serve(applications.dropFirst(), clients: clients + [client], body)
        }
    }
}

/// Collects log lines written during a test.
public final class LogLines: Sendable {
    public init() {}

    private let lines = Mutex<[String]>([])

    public var sink: LogSink { LogSink { line in self.lines.withLock { $0.append(line) } } }

    public var all: [String] { lines.withLock { $0 } }
}
