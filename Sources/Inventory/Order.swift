import Foundation

/// Where an order stands with its payment.
enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case pendingPayment = "pending_payment"
    case paid
    case canceled
    /// The reservation ran out before a payment came.
    case expired
    /// Money came that cannot buy the goods (stock gone after expiry, wrong amount): give it back.
    case refundNeeded = "refund_needed"
}

/// Where a paid order stands with its goods.
enum FulfilmentStatus: String, Codable, Sendable, CaseIterable {
    case unfulfilled
    case shipped
    case delivered
    case returned
}

/// What a checkout becomes: an amount to pay, then goods to send.
struct Order: Codable, Sendable, Equatable {
    var id: String
    var checkoutId: String
    var ownerId: String
    var status: OrderStatus
    var fulfilment: FulfilmentStatus
    var amount: Int
    var currency: String
    var lines: [CheckoutLine]
    /// The provider's payment, once one was seen.
    var paymentId: String?
    var createdAt: Date
    var updatedAt: Date
}
