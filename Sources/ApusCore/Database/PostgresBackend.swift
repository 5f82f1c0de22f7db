public import Logging
public import Prometheus
import NIOSSL
import PostgresKit
import PostgresNIO
public import SQLKit

/// PostgreSQL through PostgresNIO's pooled client; nodes sharing one server share all state.
public final class PostgresBackend: Database {
    public let engine = DatabaseEngine.postgres
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger
    /// The settings of the bus's session connection (`APUS_DATABASE_DIRECT_URL`, else the pool's).
    private let connectionConfiguration: PostgresConnection.Configuration
    /// The schemas its connections start with, if not the server's default.
    package let searchPath: String?

    private init(client: PostgresClient, connectionConfiguration: PostgresConnection.Configuration, searchPath: String?, logger: Logger) {
        self.client = client
        self.searchPath = searchPath
        self.connectionConfiguration = connectionConfiguration
        self.logger = logger
        // Started at once, so the pool runs before the first lease (a lease before it logs a
        // warning at every start).
        if #available(macOS 26, *) {
            self.runTask = Task.immediate { await client.run() }
        } else {
            self.runTask = Task { await client.run() }
        }
    }

    /// Connects to `location` and checks that the server answers. `direct` is where the bus's
    /// session connection goes when `location` is a pooler in transaction mode (PgBouncer),
    /// which cannot keep a `LISTEN`.
    public static func open(
        _ location: DatabaseLocation.PostgresLocation,
        direct: DatabaseLocation.PostgresLocation? = nil,
        maximumConnections: Int = 20,
        logger: Logger
    ) async throws -> PostgresBackend {
        try await probe(try connectionConfiguration(location), logger: logger)
        let session = try direct.map { try connectionConfiguration($0) }
        if let session { try await probe(session, logger: logger) }
        let backend = try pool(location, session: session, maximumConnections: maximumConnections, logger: logger)
        do {
            try await backend.ping()
        } catch {
            await backend.close()
            throw error
        }
        return backend
    }

    /// A pool for `location` that connects on first use and keeps trying: a read replica that
    /// is down at start is only out until it answers.
    static func pool(
        _ location: DatabaseLocation.PostgresLocation,
        session: PostgresConnection.Configuration? = nil,
        maximumConnections: Int,
        logger: Logger
    ) throws -> PostgresBackend {
        let connectionConfiguration = try session ?? connectionConfiguration(location)
        let tls: PostgresClient.Configuration.TLS =
            switch location.tlsMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        if let searchPath = location.searchPath {
            configuration.options.additionalStartupParameters = [("search_path", searchPath)]
        }
        return PostgresBackend(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            connectionConfiguration: connectionConfiguration,
            searchPath: location.searchPath,
            logger: logger
        )
    }

    /// Opens and closes one connection: the pool retries a refused connection forever, but a
    /// node starting against a wrong address should fail at once with the reason.
    private static func probe(_ configuration: PostgresConnection.Configuration, logger: Logger) async throws {
        let connection = try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.any(),
            configuration: configuration,
            id: 0,
            logger: logger
        ).get()
        try await connection.close()
    }

    /// A connection of its own, outside the pool: the replica checks use one, since a pool whose
    /// server refuses keeps retrying instead of failing.
    func connection(timeout: Duration) async throws -> PostgresConnection {
        var configuration = connectionConfiguration
        configuration.options.connectTimeout = .init(timeout)
        return try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.any(), configuration: configuration, id: 1, logger: logger
        ).get()
    }

    /// The settings of a single connection (a probe, the bus listener) for `location`.
    private static func connectionConfiguration(_ location: DatabaseLocation.PostgresLocation) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch location.tlsMode {
            case "disable": .disable
            case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        if let searchPath = location.searchPath {
            configuration.options.additionalStartupParameters = [("search_path", searchPath)]
        }
        return configuration
    }

    public func makeBus(logger: Logger, drops: Counter?) -> any ClusterBus {
        PostgresBus(configuration: connectionConfiguration, publisher: self, logger: logger, drops: drops)
    }

    public func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await client.withConnection { try await body($0.sql(queryLogLevel: .trace)) }
    }

    public func write<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        ReadConsistency.noteWrite()
        return try await read(body)
    }

    public func withTransaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        ReadConsistency.noteWrite()
        return try await client.withConnection {
            try await runTransaction(on: $0.sql(queryLogLevel: .trace), begin: "BEGIN", body)
        }
    }

    public func close() async {
        runTask.cancel()
        await runTask.value
    }
}
