@_spi(Platform) import ApusCore
import ArgumentParser
import Foundation
import Inventory

/// `apus inventory import products.csv`: load a catalogue (and stock) from CSV.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inventory", abstract: "Manage the inventory.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import products from CSV: product, sku, variant, price, currency[, published, stock, location]."
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
                let terminal = isatty(2) != 0
                let summary = try await ProductImport(platform: platform).run(csv: csv) { done, total in
                    // A bar on a terminal; nothing per product otherwise, so logs stay readable.
                    guard terminal else { return }
                    let width = 30
                    let filled = total == 0 ? width : done * width / total
                    let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
                    FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) products".utf8))
                    if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
                }
                await platform.database.close()
                for refusal in summary.refused.prefix(50) {
                    FileHandle.standardError.write(Data("line \(refusal.line): \(refusal.reason)\n".utf8))
                }
                print("imported \(summary.products) products with \(summary.variants) variants; \(summary.refused.count) refused")
                if !summary.refused.isEmpty { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                await platform.database.close()
                throw NodeStartup.fail((error as? Problem)?.detail ?? "\(error)", code: .failure)
            }
        }
    }
}
