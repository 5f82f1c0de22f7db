@_spi(Platform) import ApusCore
public import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `apus serve`: migrate (unless told not to) and serve HTTP until SIGTERM or SIGINT, with the
/// modules of `Catalog`.
public struct ServeCommand<Catalog: ModuleCatalog>: AsyncParsableCommand {
    // Computed: a generic type has no stored static properties.
    public static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")
    }

    @OptionGroup public var options: ConfigurationOptions

    @Flag(name: .customLong("no-migrate"), help: "Do not apply pending migrations at start (a separate step migrates).")
    public var noMigrate = false

    public init() {}

    public func run() async throws {
        let node = try await NodeStartup.start(options, modules: Catalog.modules)
        let server = node.server
        let logger = server.platform.logger
        if server.platform.database.engine == .sqlite {
            do {
                try DataDirectoryLock.acquire(node.configuration.dataDirectory)
            } catch {
                await server.platform.database.close()
                throw NodeStartup.fail(error.description, code: NodeStartup.configurationExitCode)
            }
        }
        // Starting the modules reads their settings: a bad one stops the node before anything changes.
        let services: [any Service]
        do {
            services = try server.makeServices()
        } catch let error as ConfigurationError {
            await server.platform.database.close()
            throw NodeStartup.fail(error.description, code: NodeStartup.configurationExitCode)
        } catch {
            await server.platform.database.close()
            throw NodeStartup.fail("cannot build the HTTP application: \(error)", code: .failure)
        }
        do {
            if noMigrate {
                // Still refuse to run on a schema whose applied migrations have changed.
                let pending = try await server.migrator.pending()
                if !pending.isEmpty {
                    logger.warning("migrations pending; /health/ready answers 503 until they are applied", metadata: ["pending": "\(pending.count)"])
                }
            } else {
                try await server.migrator.migrate()
            }
            if let email = node.configuration.adminEmail, let password = node.configuration.adminPassword {
                if try await server.identity.bootstrapAdmin(email: email, password: password) {
                    logger.info("created the first admin", metadata: ["email": "\(email)"])
                }
            }
        } catch {
            await server.platform.database.close()
            throw NodeStartup.fail("\(error)", code: .failure)
        }
        logger.info("apus listening", metadata: [
            "address": "\(node.configuration.host):\(node.configuration.port)",
            "database": "\(server.platform.database.engine.rawValue)",
            "modules": "\(server.modules.map(\.name).joined(separator: ","))",
            "executor": "\(EventLoopExecutor.current)",
        ])
        if isatty(STDERR_FILENO) != 0 {
            let banner = StartupBanner(
                version: ApusServer.version, baseURL: "http://\(node.configuration.host):\(node.configuration.port)",
                database: server.platform.database.engine == .sqlite ? "SQLite in \(node.configuration.dataDirectory)" : "PostgreSQL",
                modules: server.modules.map(\.name), hasAdmin: (try? await server.identity.hasActiveAdmin()) ?? true
            )
            FileHandle.standardError.write(Data(banner.text.utf8))
        }
        do {
            // SIGTERM drains; what is still open after the grace period is closed.
            var group = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(node.configuration.shutdownGrace)
            try await ServiceGroup(configuration: group).run()
        } catch {
            await server.platform.database.close()
            throw NodeStartup.fail("server stopped: \(error)", code: .failure)
        }
        await server.platform.database.close()
        logger.info("apus stopped")
    }
}
