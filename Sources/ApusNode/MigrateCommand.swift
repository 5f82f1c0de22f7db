@_spi(Platform) import ApusCore
public import ArgumentParser
import Foundation

/// `apus migrate`: apply the pending migrations of `Catalog`'s modules, or list applied and
/// pending ones.
public struct MigrateCommand<Catalog: ModuleCatalog>: AsyncParsableCommand {
    // Computed: a generic type has no stored static properties.
    public static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "migrate", abstract: "Apply pending migrations, or show their status.")
    }

    @OptionGroup public var options: ConfigurationOptions

    @Flag(help: "List applied and pending migrations without applying any.")
    public var status = false

    public init() {}

    public func run() async throws {
        let node = try await NodeStartup.start(options, modules: Catalog.modules)
        let database = node.server.platform.database
        let migrator = node.server.migrator
        do {
            if status {
                let statuses = try await migrator.status()
                if statuses.isEmpty { print("no migrations") }
                for entry in statuses {
                    let state = entry.appliedAt.map { "applied \(Timestamp.format($0))" } ?? "pending"
                    print("\(entry.id)\t\(state)")
                }
            } else {
                let applied = try await migrator.migrate()
                print(applied.isEmpty ? "nothing to apply" : applied.map { "applied \($0)" }.joined(separator: "\n"))
            }
        } catch {
            await database.close()
            throw NodeStartup.fail("\(error)", code: .failure)
        }
        await database.close()
    }
}
