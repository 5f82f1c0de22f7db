@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
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
            try await FileImport.run(file: file, options: options) { platform, csv in
                let summary = try await ProductImport(platform: platform).run(csv: csv) { done, total in
                    ProgressBar.draw(total == 0 ? 1 : Double(done) / Double(total), "\(done)/\(total) products")
                }
                return ("imported \(summary.products) products with \(summary.variants) variants; \(summary.refused.count) refused", summary.refused)
            }
        }
    }
}
