import ApusCore
import ApusModules
import ArgumentParser
import Foundation
import Inventory
import Links
import Notifications
import Uploads
import Logging

/// What every subcommand does first: configuration, logging, database, module selection. A
/// failure prints one clear line and exits non-zero instead of a stack trace.
struct NodeStartup {
    let configuration: ApusConfiguration
    let server: ApusServer

    /// The modules compiled into this binary; `APUS_MODULES` picks among them.
    static func availableModules() -> [any Module] {
        ShippedModules.all()
    }

    static func start(_ options: ConfigurationOptions) async throws -> NodeStartup {
        let configuration: ApusConfiguration
        do {
            configuration = try options.resolve()
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
            server = try ApusServer(platform: platform, available: availableModules())
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
    static let configurationExitCode = ExitCode(78)

    static func fail(_ message: String, code: ExitCode) -> ExitCode {
        FileHandle.standardError.write(Data("apus: \(message)\n".utf8))
        return code
    }
}
