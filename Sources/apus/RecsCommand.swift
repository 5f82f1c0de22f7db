@_spi(Platform) import ApusCore
import ArgumentParser
import Foundation
import Recs

/// `apus recs import interactions.csv` and `apus recs train`: history in, a model out, from a
/// terminal or a script.
struct RecsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recs", abstract: "Recommendations.", subcommands: [Import.self, Train.self])

    /// A bar on a terminal; nothing otherwise, so logs stay readable.
    static func bar(_ fraction: Double, _ label: String) {
        guard isatty(2) != 0 else { return }
        let width = 30
        let filled = max(0, min(width, Int(fraction * Double(width))))
        let text = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] " + label + "\u{1B}[K"
        FileHandle.standardError.write(Data(text.utf8))
        if fraction >= 1 { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import interactions from CSV: user, item, kind, at[, weight] (at: RFC 3339 or Unix seconds)."
        )

        @OptionGroup var options: ConfigurationOptions

        @Argument(help: "The CSV file.")
        var file: String

        func run() async throws {
            guard let csv = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw NodeStartup.fail("cannot read \(file) as UTF-8 text", code: .validationFailure)
            }
            let node = try await NodeStartup.start(options)
            let platform = node.server.platform
            do {
                try await node.server.migrator.migrate()
                let summary = try await InteractionImport(platform: platform).run(csv: csv) { done, total in
                    RecsCommand.bar(total == 0 ? 1 : Double(done) / Double(total), "\(done)/\(total) rows")
                }
                await platform.database.close()
                for refusal in summary.refused.prefix(50) {
                    FileHandle.standardError.write(Data("line \(refusal.line): \(refusal.reason)\n".utf8))
                }
                print("read \(summary.rows) rows, stored \(summary.stored) new interactions; \(summary.refused.count) refused")
                if !summary.refused.isEmpty { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                await platform.database.close()
                throw NodeStartup.fail((error as? Problem)?.detail ?? "\(error)", code: .failure)
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
            let node = try await NodeStartup.start(options)
            let platform = node.server.platform
            do {
                try await node.server.migrator.migrate()
                let outcome = try await RecsTraining(platform: platform).run(
                    model: model, factors: factors, regularization: regularization, alpha: alpha, iterations: iterations, seed: seed,
                    evaluate: !noEvaluate
                ) { label, fraction in RecsCommand.bar(fraction, label) }
                RecsCommand.bar(1, outcome.status)
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
