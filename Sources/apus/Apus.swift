import ApusCore
import ArgumentParser

/// The `apus` command: one binary for every node role.
@main
struct Apus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "A self-hosted backend platform: one binary, SQLite by default, PostgreSQL to scale out.",
        version: ApusServer.version,
        subcommands: [Serve.self, Migrate.self, UserCommand.self, KeysCommand.self, JobsCommand.self, EventsCommand.self, InventoryCommand.self, RecsCommand.self, LogsCommand.self],
        defaultSubcommand: Serve.self
    )

    static func main() async {
        EventLoopExecutor.install()
        await main(nil)
    }
}
