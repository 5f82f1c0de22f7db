@_spi(Platform) import ApusCore
import ArgumentParser
import Foundation

/// `apus migrate`: apply pending migrations, or list applied and pending ones.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations, or show their status.")

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "List applied and pending migrations without applying any.")
    var status = false

    func run() async throws {
        let node = try await NodeStartup.start(options)
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
