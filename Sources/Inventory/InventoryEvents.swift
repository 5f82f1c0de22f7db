/// The events Inventory writes to the outbox, for webhooks and notifications to pick up.
public enum InventoryEvents {
    /// A SKU's available stock fell below its threshold.
    public static let stockLow = "inventory.stock.low"
    /// A payment confirmed an order; its stock is committed.
    public static let orderPaid = "inventory.order.paid"
    /// Money came for an order that cannot be served: someone must refund it.
    public static let orderRefundNeeded = "inventory.order.refund_needed"
    /// A checkout was not paid in time; its stock went back.
    public static let reservationExpired = "inventory.reservation.expired"
}
