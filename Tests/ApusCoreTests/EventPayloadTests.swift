import ApusCore
import Foundation
import Testing

/// An event's payload is written as the API writes its bodies, so a webhook reads like the API.
@Suite struct EventPayloadTests {
    struct Shipped: Encodable {
        var orderId: String
        var shippedAt: Date
    }

    @Test func aPayloadHasSnakeCaseKeysAndRFC3339Times() throws {
        let at = Date(timeIntervalSince1970: 1_900_000_000.25)
        let event = try NewEvent(type: "shop.order.shipped", aggregate: "ord_1", json: Shipped(orderId: "ord_1", shippedAt: at))
        #expect(event.payload == #"{"order_id":"ord_1","shipped_at":"\#(Timestamp.format(at))"}"#)
        #expect(Timestamp.parse(Timestamp.format(at)) != nil)
    }
}
