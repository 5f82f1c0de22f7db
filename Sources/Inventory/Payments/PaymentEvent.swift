import Foundation

/// The part of a provider's event (Stripe's shape) Inventory reads. Decoded with a plain
/// decoder: the keys are the provider's, and metadata keys must stay as they are.
struct PaymentEvent: Decodable, Sendable {
    var id: String
    var type: String
    var data: Payload

    struct Payload: Decodable, Sendable {
        var object: PaymentIntent
    }

    struct PaymentIntent: Decodable, Sendable {
        var id: String?
        var amount: Int?
        var amountReceived: Int?
        var currency: String?
        var metadata: [String: String]?

        enum CodingKeys: String, CodingKey {
            case id, amount, currency, metadata
            case amountReceived = "amount_received"
        }
    }

    /// The checkout the payment is for.
    var checkoutID: String? { data.object.metadata?["checkout_id"] }

    static let succeeded = "payment_intent.succeeded"
    static let failed = "payment_intent.payment_failed"
    static let canceled = "payment_intent.canceled"
}

/// What the webhook answers: the event was taken, and what it did.
struct PaymentReceipt: Codable, Sendable {
    var eventId: String
    /// `paid`, `released`, `refund_needed`, `duplicate`, `ignored`.
    var outcome: String
}
