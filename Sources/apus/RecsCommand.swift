@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
import ArgumentParser
import Foundation
import Recs

/// `apus recs import interactions.csv` and `apus recs train`: history in, a model out, from a
/// terminal or a script.
struct RecsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recs", abstract: "Recommendations.", subcommands: [Import.self, Train.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import interactions from CSV: user, item, kind, at[, weight] (at: RFC 3339 or Unix seconds)."
        )

        @OptionGroup var options: ConfigurationOptions

        @Argument(help: "The CSV file.")
        var file: String

        func run() async throws {
            try await FileImport.run(file: file, options: options) { platform, csv in
                let summary = try await InteractionImport(platform: platform).run(csv: csv) { done, total in
                    ProgressBar.draw(total == 0 ? 1 : Double(done) / Double(total), "\(done)/\(total) rows")
                }
                return ("read \(summary.rows) rows, stored \(summary.stored) new interactions; \(summary.refused.count) refused", summary.refused)
            }
        }
    }

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a model now, in this process, and publish it if it passes the gate.")

        @OptionGroup var options: ConfigurationOptions

        @Option(help: "als, item_knn, ease or popularity.") var model = "als"
        @Option(help: "ALS factors.") var factors: Int?
        @Option(help: "L2 regularisation (ALS, EASE).") var regularization: Double?
        @Option(help: "ALS confidence scale.") var alpha: Double?
        @Option(help: "ALS iterations.") var iterations: Int?
        @Option(help: "Seed of ALS's starting values.") var seed: UInt64?
        @Flag(help: "Train on everything and publish without the hold-out gate.") var noEvaluate = false
        @Flag(help: "Print the outcome as JSON.") var json = false

        func run() async throws {
            let node = try await NodeStartup.start(options, modules: ShippedModules.all)
            let platform = node.server.platform
            do {
                try await node.server.migrator.migrate()
                let outcome = try await RecsTraining(platform: platform).run(
                    model: model, factors: factors, regularization: regularization, alpha: alpha, iterations: iterations, seed: seed,
                    evaluate: !noEvaluate
                ) { label, fraction in ProgressBar.draw(fraction, label.padding(toLength: 24, withPad: " ", startingAt: 0)) }
                ProgressBar.draw(1, outcome.status.padding(toLength: 24, withPad: " ", startingAt: 0))
                await platform.database.close()
                if json || isatty(1) == 0 {
                    var object: [String: Any] = ["id": outcome.id, "status": outcome.status]
                    object["ndcg_at_10"] = outcome.ndcgAt10
                    object["error"] = outcome.error
                    object["seconds_per_iteration"] = outcome.secondsPerIteration
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    var line = "model \(outcome.id): \(outcome.status)"
                    if let ndcg = outcome.ndcgAt10 { line += String(format: ", NDCG@10 %.4f", ndcg) }
                    if let error = outcome.error { line += ": \(error)" }
                    print(line)
                }
                if outcome.status == "failed" || outcome.status == "rejected" { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                await platform.database.close()
                throw NodeStartup.fail((error as? Problem)?.detail ?? "\(error)", code: .failure)
            }
        }
    }
}
