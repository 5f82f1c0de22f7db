@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
import ArgumentParser
import Foundation

/// `apus jobs`: the job queue from the command line.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Work with the job queue.", subcommands: [Bench.self])

    /// `apus jobs bench`: how fast this database takes and runs jobs.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enqueue no-op jobs and time one worker running them on the configured database (APUS_JOBS_CONCURRENCY applies)."
        )

        @OptionGroup var options: ConfigurationOptions

        @Option(help: "How many jobs.")
        var jobs = 20_000

        func run() async throws {
            let node = try await NodeStartup.start(options, modules: ShippedModules.all)
            let platform = node.server.platform
            do {
                try await node.server.migrator.migrate()
                let result = try await JobBenchmark.run(platform: platform, jobs: max(1, jobs))
                print(String(
                    format: "%@: %d no-op jobs enqueued at %.0f/s, run at %.0f/s (concurrency %d)",
                    platform.database.engine.rawValue, result.jobs, result.enqueuedPerSecond, result.processedPerSecond,
                    platform.configuration.jobs.concurrency
                ))
            } catch {
                await platform.database.close()
                throw NodeStartup.fail("\(error)", code: .failure)
            }
            await platform.database.close()
        }
    }
}
