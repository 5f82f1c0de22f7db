public import ApusCore
public import ArgumentParser
import Foundation

/// The flags that override `APUS_*` environment variables, shared by every subcommand.
public struct ConfigurationOptions: ParsableArguments {
    public init() {}

    @Option(help: "Address to listen on (APUS_HOST, default 127.0.0.1).")
    public var host: String?

    @Option(help: "Port to listen on (APUS_PORT, default 8080).")
    public var port: String?

    @Option(name: .customLong("data-dir"), help: "Directory for the SQLite database and secrets (APUS_DATA_DIR, default ./data).")
    public var dataDirectory: String?

    @Option(name: .customLong("database-url"), help: "postgres://user:password@host:port/database (APUS_DATABASE_URL; default SQLite in the data dir).")
    public var databaseURL: String?

    @Option(name: .customLong("public-url"), help: "Base URL of short links and Location headers (APUS_PUBLIC_URL).")
    public var publicURL: String?

    @Option(help: "Comma-separated modules this node runs (APUS_MODULES, default all).")
    public var modules: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (APUS_LOG_LEVEL, default info).")
    public var logLevel: String?

    @Option(name: .customLong("log-format"), help: "json or text (APUS_LOG_FORMAT, default json).")
    public var logFormat: String?

    /// The environment's configuration with these flags on top, validated.
    public func resolve() throws(ConfigurationError) -> ApusConfiguration {
        var configuration = try ApusConfiguration(environment: ProcessInfo.processInfo.environment)
        if let host { configuration.host = host }
        if let port { configuration.port = try ApusConfiguration.parsePort(port) }
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        if let databaseURL { configuration.databaseURL = databaseURL }
        if let publicURL { configuration.publicURL = publicURL }
        if let modules { configuration.modules = ApusConfiguration.parseModules(modules) }
        if let logLevel { configuration.logLevel = try ApusConfiguration.parseLogLevel(logLevel) }
        if let logFormat { configuration.logFormat = try ApusConfiguration.parseLogFormat(logFormat) }
        try configuration.validate()
        return configuration
    }
}
