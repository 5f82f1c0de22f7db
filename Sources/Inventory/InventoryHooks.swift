/// Points inside the service where a test holds one side of a race, so the interleaving it
/// asserts is forced rather than hoped for. Each does nothing unless a test sets it.
struct InventoryHooks: Sendable {
    /// Called in the payment transaction once the checkout has been read for the decision,
    /// with the checkout's id.
    var atPaymentDecision: (@Sendable (String) async -> Void)?

    init(atPaymentDecision: (@Sendable (String) async -> Void)? = nil) {
        self.atPaymentDecision = atPaymentDecision
    }

    func paymentDecision(_ checkoutID: String) async {
        await atPaymentDecision?(checkoutID)
    }
}
