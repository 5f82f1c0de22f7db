public import ApusCore
public import ArgumentParser
import Foundation
import Logging

/// What every subcommand does first: configuration, logging, database, module selection. A
/// failure prints one clear line and exits non-zero instead of a stack trace.
public struct NodeStartup {
    public let configuration: ApusConfiguration
    public let server: ApusServer

    /// Starts a node's platform with `available` (the binary's modules; `APUS_MODULES` picks
    /// among them): the settings resolved, logging set up, the database and the modules' own
    /// databases open. Nothing is migrated or served yet.
    public static func start(_ options: ConfigurationOptions, modules available: () throws(ConfigurationError) -> [any Module]) async throws -> NodeStartup {
        let configuration: ApusConfiguration
        let modules: [any Module]
        do {
            configuration = try options.resolve()
            modules = try available()
        } catch {
            throw fail(error.description, code: .validationFailure)
        }
        LoggingSetup.bootstrap(format: .resolved(configuration.logFormat, terminal: isatty(STDERR_FILENO) != 0), level: configuration.logLevel)
        let logger = Logger(label: "apus")
        let database: any Database
        do {
            database = try await DatabaseOpener.open(configuration, logger: logger)
        } catch {
            throw fail("\(error)", code: configurationExitCode)
        }
        let platform = Platform(configuration: configuration, database: database, logger: logger)
        let server: ApusServer
        do {
            server = try ApusServer(platform: platform, available: modules)
        } catch {
            await database.close()
            throw fail(error.description, code: .validationFailure)
        }
        do {
            try await server.openOwnDatabases()
        } catch {
            await database.close()
            throw fail("cannot open a module's own database: \(error)", code: configurationExitCode)
        }
        return NodeStartup(configuration: configuration, server: server)
    }

    /// EX_CONFIG from sysexits: the configuration names something unusable.
    public static let configurationExitCode = ExitCode(78)

    /// Prints `message` as the command's one line of failure and returns the exit code to throw.
    public static func fail(_ message: String, code: ExitCode) -> ExitCode {
        FileHandle.standardError.write(Data("apus: \(message)\n".utf8))
        return code
    }
}
