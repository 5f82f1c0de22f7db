import Foundation

/// Where a checkout's hold on stock stands. Only `reserved` holds stock; every move out of it is
/// a conditional update, so it happens once whoever (a node's job, a webhook, the buyer) races.
enum CheckoutStatus: String, Codable, Sendable, CaseIterable {
    case reserved
    /// Paid: the units left the stock.
    case committed
    /// Cancelled or payment failed: the units went back.
    case released
    /// Not paid in time: released by the expiry job.
    case expired
}

/// A cart whose lines are all reserved together, or not at all.
struct Checkout: Codable, Sendable, Equatable {
    var id: String
    var orderId: String
    var ownerId: String
    var status: CheckoutStatus
    var location: String
    var lines: [CheckoutLine]
    var amount: Int
    var currency: String
    var expiresAt: Date
    var createdAt: Date
}

/// One SKU of a checkout, at the price it had when reserved.
struct CheckoutLine: Codable, Sendable, Equatable {
    var sku: String
    var quantity: Int
    var unitPrice: Int
    /// Units given back by a return.
    var returned: Int
}
