import Foundation

/// The stock of one SKU at one location. `available` is what a checkout may still reserve.
struct StockLevel: Codable, Sendable, Equatable {
    var location: String
    var onHand: Int
    var reserved: Int
    var available: Int { onHand - reserved }

    enum CodingKeys: String, CodingKey { case location, onHand, reserved, available }

    init(location: String, onHand: Int, reserved: Int) {
        self.location = location
        self.onHand = onHand
        self.reserved = reserved
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(location: try container.decode(String.self, forKey: .location), onHand: try container.decode(Int.self, forKey: .onHand), reserved: try container.decode(Int.self, forKey: .reserved))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(location, forKey: .location)
        try container.encode(onHand, forKey: .onHand)
        try container.encode(reserved, forKey: .reserved)
        try container.encode(available, forKey: .available)
    }
}

/// `GET /v1/inventory/stock?sku=`: a SKU's stock per location and in all.
struct SKUStock: Codable, Sendable, Equatable {
    var sku: String
    var onHand: Int
    var reserved: Int
    var available: Int
    var levels: [StockLevel]

    init(sku: String, levels: [StockLevel]) {
        self.sku = sku
        self.levels = levels
        onHand = levels.reduce(0) { $0 + $1.onHand }
        reserved = levels.reduce(0) { $0 + $1.reserved }
        available = onHand - reserved
    }
}

/// Why stock changed. Every change of `inventory_stock` writes one movement, so the stock can be
/// audited and rebuilt by summing them.
enum MovementKind: String, Codable, Sendable, CaseIterable {
    /// Goods arrived (on hand up).
    case received
    /// A count corrected by staff (on hand up or down).
    case adjusted
    /// A checkout holds units (reserved up).
    case reserved
    /// A hold ended without a sale: cancelled, failed payment, expired (reserved down).
    case released
    /// A paid hold left the shelf (on hand and reserved down).
    case committed
    /// Goods came back from a customer (on hand up).
    case returned
}

/// One change of one SKU's stock at one location.
struct Movement: Codable, Sendable, Equatable {
    var id: String
    var sku: String
    var location: String
    var kind: MovementKind
    var onHandDelta: Int
    var reservedDelta: Int
    /// The user who caused it, or `system` (the expiry job, a payment webhook).
    var actor: String
    var reason: String
    /// What it belongs to: a checkout, an order, a staff note.
    var reference: String?
    var createdAt: Date
}
