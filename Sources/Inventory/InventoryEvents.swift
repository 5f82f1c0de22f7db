import ApusCore

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

extension InventoryEvents {
    static let id: JSONValue = ["type": "string", "pattern": OpenAPIDocument.idPattern]
    static let order = OpenAPIDocument.object(
        [
            "order_id": id, "checkout_id": id, "owner_id": id,
            "amount": ["type": "integer", "minimum": 0], "currency": ["type": "string"], "reason": ["type": "string"],
            "lines": ["type": "array", "items": OpenAPIDocument.object(["sku": ["type": "string"], "quantity": ["type": "integer", "minimum": 1]])],
        ],
        optional: ["reason"]
    )

    /// What each event carries.
    static let declarations = [
        EventDeclaration(
            stockLow, summary: "A SKU's available stock fell below its threshold.",
            payload: OpenAPIDocument.object(["sku": ["type": "string"], "available": ["type": "integer"], "threshold": ["type": "integer"]])
        ),
        EventDeclaration(orderPaid, summary: "A payment confirmed an order; its stock is committed.", payload: order),
        EventDeclaration(orderRefundNeeded, summary: "Money came for an order that cannot be served: someone must refund it.", payload: order),
        EventDeclaration(
            reservationExpired, summary: "A checkout was not paid in time; its stock went back.",
            payload: OpenAPIDocument.object(["checkout_id": id, "order_id": id, "owner_id": id])
        ),
    ]
}
