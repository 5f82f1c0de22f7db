public import ApusCore
import ApusKit
import Foundation

/// `apus inventory import products.csv`: a catalogue from CSV. The header names the columns
/// `product, sku, variant, price, currency` and optionally `published, stock, location`; rows with
/// the same `product` become one product with those variants. A product whose rows are invalid,
/// or whose SKU is taken, is refused whole and reported by line; the rest are imported.
public struct ProductImport: Sendable {
    /// What an import did.
    public struct Summary: Sendable, Equatable {
        /// Products created, and the variants they hold.
        public var products = 0
        public var variants = 0
        /// Rows refused, with the reason, by line number (1 = the header).
        public var refused: [(line: Int, reason: String)] = []

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.products == rhs.products && lhs.variants == rhs.variants && lhs.refused.map(\.line) == rhs.refused.map(\.line)
        }
    }

    let service: InventoryService

    /// An import into the inventory of `platform`.
    public init(platform: Platform) throws {
        service = InventoryService(platform: platform, settings: try InventorySettings(platform.settings))
    }

    /// Imports `csv`, telling `progress` (products done, products in all) after each product.
    public func run(csv: String, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Summary {
        var summary = Summary()
        // Records know the line they start on, so refusals name the file's lines even when a
        // quoted field holds a line break.
        let records = Array(CSVRecords(csv))
        guard let header = records.first?.fields.map({ $0.lowercased() }) else { return summary }
        let required = ["product", "sku", "variant", "price", "currency"]
        if let missing = required.first(where: { !header.contains($0) }) {
            summary.refused.append((1, "the header has no \(missing) column"))
            return summary
        }
        func column(_ name: String, _ row: [String]) -> String? {
            header.firstIndex(of: name).flatMap { $0 < row.count ? row[$0].trimmingCharacters(in: .whitespaces) : nil }
        }
        // Products in the order they first appear, with their rows.
        var order: [String] = []
        var groups: [String: [(line: Int, row: [String])]] = [:]
        for record in records.dropFirst() where !record.isBlank {
            if record.unterminated {
                summary.refused.append((record.line, "a quoted field is not closed before the end of the file"))
                continue
            }
            let name = column("product", record.fields) ?? ""
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append((record.line, record.fields))
        }
        for (done, name) in order.enumerated() {
            let group = groups[name] ?? []
            do {
                var variants: [NewVariant] = []
                var stock: [(sku: String, location: String, units: Int)] = []
                var published = false
                for (line, row) in group {
                    // As the API refuses it: no field has a use for NUL, and PostgreSQL cannot store it.
                    if let index = row.firstIndex(where: { $0.utf8.contains(0) }) {
                        let name = index < header.count ? header[index] : "field \(index + 1)"
                        throw ImportRowError(line: line, reason: "\(name) must not contain the NUL character")
                    }
                    guard let price = Int(column("price", row) ?? "") else { throw ImportRowError(line: line, reason: "price is not a whole number of minor units") }
                    let sku = column("sku", row) ?? ""
                    variants.append(NewVariant(sku: sku, name: column("variant", row) ?? "", price: price, currency: column("currency", row) ?? ""))
                    if ["true", "yes", "1"].contains(column("published", row)?.lowercased() ?? "") { published = true }
                    // Stock is checked before anything is created, so a bad row refuses its product whole.
                    if let text = column("stock", row), !text.isEmpty, text != "0" {
                        guard let units = Int(text), units > 0, units <= InventoryFields.maxDelta else { throw ImportRowError(line: line, reason: "stock is not a positive whole number") }
                        let code = column("location", row).flatMap { $0.isEmpty ? nil : $0 } ?? "main"
                        guard InventoryFields.isCode(code) else { throw ImportRowError(line: line, reason: "location must be 1-64 of A-Z a-z 0-9 . _ -") }
                        stock.append((sku, code, units))
                    }
                }
                let body = NewProduct(name: name, description: nil, published: published, variants: variants)
                do {
                    try InventoryFields.validate(body)
                } catch let problem as Problem {
                    throw ImportRowError(line: Self.line(of: problem, in: group.map(\.line)), reason: problem.detail ?? problem.title)
                }
                for ((line, _), variant) in zip(group, variants) where try await isTaken(variant.sku) {
                    throw ImportRowError(line: line, reason: "SKU \(variant.sku) is taken.")
                }
                _ = try await service.create(body)
                summary.products += 1
                summary.variants += variants.count
                for (sku, code, units) in stock {
                    if try await service.locations().contains(where: { $0.code == code }) == false {
                        _ = try await service.createLocation(NewLocation(code: code, name: code))
                    }
                    _ = try await service.adjust(StockAdjustment(sku: sku, location: code, delta: units, reason: "import", kind: "received"), by: "system")
                }
            } catch let error as ImportRowError {
                summary.refused.append((error.line, error.reason))
            } catch let problem as Problem {
                summary.refused.append((group.first?.line ?? 0, problem.detail ?? problem.title))
            }
            progress(done + 1, order.count)
        }
        summary.refused.sort { $0.line < $1.line }
        return summary
    }

    /// Whether a variant already has `sku`.
    private func isTaken(_ sku: String) async throws -> Bool {
        do {
            _ = try await service.variant(sku: sku, field: "sku")
            return true
        } catch let problem as Problem where problem.status.code < 500 {
            return false
        }
    }

    /// The line of the row a validation problem is about: the one its first `variants[i]`
    /// field names, else the product's first.
    static func line(of problem: Problem, in lines: [Int]) -> Int {
        let field = problem.errors?.first?.field ?? problem.detail ?? ""
        if let open = field.firstRange(of: "variants[")?.upperBound, let close = field[open...].firstIndex(of: "]"),
           let index = Int(field[open..<close]), lines.indices.contains(index) {
            return lines[index]
        }
        return lines.first ?? 0
    }
}

/// One row that cannot be imported, and why.
struct ImportRowError: Error {
    var line: Int
    var reason: String
}
