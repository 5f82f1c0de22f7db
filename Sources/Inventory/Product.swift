import Foundation

/// A product of the catalogue: what a shop shows, sold as one or more variants.
struct Product: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var description: String
    /// Whether strangers (no credentials) see it.
    var published: Bool
    /// Bumped by every change; the `ETag` of the product.
    var version: Int
    var variants: [Variant]
    var createdAt: Date
    var updatedAt: Date
}

/// One sellable thing: a size or colour of a product, named by its SKU.
struct Variant: Codable, Sendable, Equatable {
    var id: String
    var sku: String
    var name: String
    /// In the currency's minor units (cents), so amounts add up exactly.
    var price: Int
    /// ISO 4217, upper case.
    var currency: String
    var attributes: [String: String]
    /// Below this many available (summed over locations), `inventory.stock.low` is emitted.
    var lowStockThreshold: Int
}

/// A place stock is kept (a warehouse, a shop).
struct Location: Codable, Sendable, Equatable {
    var id: String
    /// Short and stable, as clients name it (`main`, `berlin-1`).
    var code: String
    var name: String
    var createdAt: Date
}
