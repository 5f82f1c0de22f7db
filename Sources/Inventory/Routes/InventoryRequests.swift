import ApusCore
import Foundation
import Hummingbird

/// `POST /v1/inventory/products`.
struct NewProduct: Decodable, Sendable {
    var name: String
    var description: String?
    var published: Bool?
    var variants: [NewVariant]
}

/// One variant of a new product.
struct NewVariant: Decodable, Sendable {
    var sku: String
    var name: String
    var price: Int
    var currency: String
    var attributes: [String: String]?
    var lowStockThreshold: Int?
}

/// `PATCH /v1/inventory/products/{id}`: absent fields stay as they are.
struct ProductPatch: Decodable, Sendable {
    var name: String?
    var description: String?
    var published: Bool?
}

/// `PATCH /v1/inventory/products/{id}/variants/{variant}`: absent fields stay as they are; the
/// SKU never changes (stock, movements and orders name it).
struct VariantPatch: Decodable, Sendable {
    var name: String?
    var price: Int?
    var currency: String?
    var attributes: [String: String]?
    var lowStockThreshold: Int?
}

/// `POST /v1/inventory/locations`.
struct NewLocation: Decodable, Sendable {
    var code: String
    var name: String
}

/// `POST /v1/inventory/stock/adjustments`.
struct StockAdjustment: Decodable, Sendable {
    var sku: String
    var location: String
    var delta: Int
    var reason: String
    /// `received` (goods in) or `adjusted` (a count corrected, the default).
    var kind: String?
}

/// `POST /v1/checkouts`.
struct NewCheckout: Decodable, Sendable {
    var lines: [Line]
    var location: String?
    /// When given, every line must be priced in it.
    var currency: String?

    struct Line: Decodable, Sendable {
        var sku: String
        var quantity: Int
    }
}

/// `POST /v1/orders/{id}/fulfilment`.
struct FulfilmentChange: Decodable, Sendable {
    var status: FulfilmentStatus
}

/// `POST /v1/orders/{id}/returns`.
struct OrderReturn: Decodable, Sendable {
    var lines: [NewCheckout.Line]
    var reason: String
}

extension Product: ResponseEncodable {}
extension Location: ResponseEncodable {}
extension SKUStock: ResponseEncodable {}
extension Checkout: ResponseEncodable {}
extension Order: ResponseEncodable {}

/// The rules of the catalogue's fields, shared by every route that takes them.
enum InventoryFields {
    static let maxQuantity = 10_000
    static let maxLines = 100
    static let maxDelta = 1_000_000_000
    static let maxPrice = 100_000_000_000

    /// SKUs and location codes: 1-64 of A-Z a-z 0-9 . _ -.
    static func isCode(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 46 || byte == 95 || byte == 45
        }
    }

    static func isCurrency(_ text: String) -> Bool {
        text.utf8.count == 3 && text.utf8.allSatisfy { (65...90).contains($0) }
    }

    /// Attribute names are lower case, digits and `-`: the API's snake_case key conversion
    /// would otherwise rewrite them on the way in or out.
    static func isAttributeName(_ text: String) -> Bool {
        (1...40).contains(text.utf8.count) && text.utf8.allSatisfy { (48...57).contains($0) || (97...122).contains($0) || $0 == 45 }
    }

    static func isText(_ text: String, max: Int) -> Bool {
        !text.trimmingCharacters(in: .whitespaces).isEmpty && text.count <= max
    }

    static func validate(_ product: NewProduct) throws {
        var errors: [Problem.FieldError] = []
        if !isText(product.name, max: 200) { errors.append(.init(field: "name", message: "must be 1-200 characters")) }
        if let description = product.description, description.count > 10_000 { errors.append(.init(field: "description", message: "must be at most 10000 characters")) }
        if product.variants.isEmpty || product.variants.count > 100 { errors.append(.init(field: "variants", message: "must hold 1-100 variants")) }
        var seen: Set<String> = []
        for (index, variant) in product.variants.enumerated() {
            let path = "variants[\(index)]"
            if !seen.insert(variant.sku).inserted { errors.append(.init(field: "\(path).sku", message: "appears twice")) }
            errors += variantErrors(variant, path: "\(path).")
        }
        try Problem.throwIfInvalid(errors)
    }

    /// A new variant on its own (`POST .../variants`).
    static func validate(_ variant: NewVariant) throws {
        try Problem.throwIfInvalid(variantErrors(variant, path: ""))
    }

    static func validate(_ patch: VariantPatch) throws {
        try Problem.throwIfInvalid(variantErrors(
            NewVariant(sku: "SKU", name: patch.name ?? "name", price: patch.price ?? 0, currency: patch.currency ?? "EUR", attributes: patch.attributes, lowStockThreshold: patch.lowStockThreshold),
            path: ""
        ))
    }

    /// What is wrong with `variant`, its fields named under `path`.
    private static func variantErrors(_ variant: NewVariant, path: String) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        if !isCode(variant.sku) { errors.append(.init(field: "\(path)sku", message: "must be 1-64 of A-Z a-z 0-9 . _ -")) }
        if !isText(variant.name, max: 200) { errors.append(.init(field: "\(path)name", message: "must be 1-200 characters")) }
        if !(0...maxPrice).contains(variant.price) { errors.append(.init(field: "\(path)price", message: "must be 0-\(maxPrice) minor units")) }
        if !isCurrency(variant.currency) { errors.append(.init(field: "\(path)currency", message: "must be an ISO 4217 code such as EUR")) }
        if let threshold = variant.lowStockThreshold, !(0...maxDelta).contains(threshold) {
            errors.append(.init(field: "\(path)low_stock_threshold", message: "must be 0-\(maxDelta)"))
        }
        if let attributes = variant.attributes {
            if attributes.count > 50 { errors.append(.init(field: "\(path)attributes", message: "at most 50 attributes")) }
            if !attributes.keys.allSatisfy(isAttributeName) { errors.append(.init(field: "\(path)attributes", message: "names are 1-40 of a-z 0-9 -")) }
            if !attributes.values.allSatisfy({ $0.count <= 200 }) { errors.append(.init(field: "\(path)attributes", message: "values are at most 200 characters")) }
        }
        return errors
    }

    static func validate(_ patch: ProductPatch) throws {
        var errors: [Problem.FieldError] = []
        if let name = patch.name, !isText(name, max: 200) { errors.append(.init(field: "name", message: "must be 1-200 characters")) }
        if let description = patch.description, description.count > 10_000 { errors.append(.init(field: "description", message: "must be at most 10000 characters")) }
        try Problem.throwIfInvalid(errors)
    }

    /// The lines of a checkout or return: 1-100, each SKU once, each quantity 1-10000.
    static func validate(lines: [NewCheckout.Line]) throws {
        var errors: [Problem.FieldError] = []
        if lines.isEmpty || lines.count > maxLines { errors.append(.init(field: "lines", message: "must hold 1-\(maxLines) lines")) }
        var seen: Set<String> = []
        for (index, line) in lines.enumerated() {
            if !isCode(line.sku) { errors.append(.init(field: "lines[\(index)].sku", message: "must be 1-64 of A-Z a-z 0-9 . _ -")) }
            if !seen.insert(line.sku).inserted { errors.append(.init(field: "lines[\(index)].sku", message: "appears in an earlier line")) }
            if !(1...maxQuantity).contains(line.quantity) { errors.append(.init(field: "lines[\(index)].quantity", message: "must be 1-\(maxQuantity)")) }
        }
        try Problem.throwIfInvalid(errors)
    }
}
