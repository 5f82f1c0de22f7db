import ApusCore
import ApusModules
import ApusNode
import ArgumentParser

/// The `apus` command: one binary for every node role.
@main
struct Apus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "A self-hosted backend platform: one binary, SQLite by default, PostgreSQL to scale out.",
        version: ApusServer.version,
        subcommands: [
            ServeCommand<Shipped>.self, MigrateCommand<Shipped>.self, UserCommand.self, KeysCommand.self, JobsCommand.self, EventsCommand.self,
            InventoryCommand.self, RecsCommand.self, LogsCommand.self,
        ],
        defaultSubcommand: ServeCommand<Shipped>.self
    )

    static func main() async {
        EventLoopExecutor.install()
        await main(nil)
    }
}

/// Every shipped module: what this binary's `APUS_MODULES` picks among.
enum Shipped: ModuleCatalog {
    static func modules() -> [any Module] { ShippedModules.all() }
}
