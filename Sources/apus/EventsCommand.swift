@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
import ArgumentParser
import Foundation

/// `apus events`: the event outbox from the command line.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Work with the event outbox.", subcommands: [Bench.self])

    /// `apus events bench`: how fast events go from commit to consumers on this database.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Commit events while one dispatcher delivers them to no-op consumers on the configured database."
        )

        @OptionGroup var options: ConfigurationOptions

        @Option(help: "How many events.")
        var events = 20_000

        @Option(help: "How many consumers.")
        var consumers = 1

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let node = try await NodeStartup.start(options, modules: ShippedModules.all)
            let platform = node.server.platform
            do {
                try await node.server.migrator.migrate()
                let result = try await EventBenchmark.run(platform: platform, events: max(1, events), consumers: max(1, consumers))
                if json {
                    print(String(
                        format: #"{"engine":"%@","events":%d,"consumers":%d,"seconds":%.3f,"events_per_second":%.0f,"deliveries_per_second":%.0f}"#,
                        platform.database.engine.rawValue, result.events, result.consumers, result.seconds, result.eventsPerSecond, result.deliveriesPerSecond
                    ))
                } else {
                    print(String(
                        format: "%@: %d events to %d consumer(s) in %.2f s: %.0f events/s from commit to every consumer, %.0f deliveries/s",
                        platform.database.engine.rawValue, result.events, result.consumers, result.seconds, result.eventsPerSecond, result.deliveriesPerSecond
                    ))
                }
            } catch {
                await platform.database.close()
                throw NodeStartup.fail("\(error)", code: .failure)
            }
            await platform.database.close()
        }
    }
}
