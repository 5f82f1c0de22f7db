import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import Testing

@Suite struct CheckoutTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aCheckoutReservesEveryLineAndCancellingGivesItBack(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A", "B"], price: 1250, stock: 10)
            let ada = try await shop.buyer("ada@example.com")
            let created = try await shop.checkout([("B", 2), ("A", 3)], token: ada)
            #expect(created.status == .created)
            let checkout = try created.decoded(CheckoutView.self)
            #expect(checkout.status == "reserved")
            #expect(checkout.amount == 5 * 1250 && checkout.currency == "EUR")
            #expect(checkout.lines.map(\.sku) == ["B", "A"])
            #expect(checkout.expiresAt.timeIntervalSince(shop.server.platform.now()) > 14 * 60)
            #expect(try await shop.stock("A").reserved == 3)
            #expect(try await shop.stock("B").available == 8)
            let order = try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self)
            #expect(order.status == "pending_payment" && order.amount == 6250)

            let eve = try await shop.buyer("eve@example.com")
            #expect(try await shop.client.json("/v1/checkouts/\(checkout.id)", .get, token: eve).status == .notFound)
            #expect(try await shop.client.json("/v1/checkouts/\(checkout.id)/cancel", .post, token: eve).status == .notFound)
            #expect(try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: eve).status == .notFound)
            #expect(try await shop.client.json("/v1/checkouts/\(checkout.id)", .get, token: ada).status == .ok)
            #expect(try await shop.client.json("/v1/checkouts", .post, body: #"{"lines":[{"sku":"A","quantity":1}]}"#).status == .unauthorized)

            let cancelled = try await shop.client.json("/v1/checkouts/\(checkout.id)/cancel", .post, token: ada)
            #expect(try cancelled.decoded(CheckoutView.self).status == "released")
            #expect(try await shop.client.json("/v1/checkouts/\(checkout.id)/cancel", .post, token: ada).status == .conflict)
            #expect(try await shop.stock("A").reserved == 0)
            #expect(try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self).status == "canceled")
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aShortLineRefusesTheWholeCartAndSaysWhatIsAvailable(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A", "B", "C"], stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let response = try await shop.checkout([("A", 2), ("B", 6), ("C", 9)], token: ada)
            #expect(response.status == .conflict)
            let problem = try response.decoded(ProblemView.self)
            #expect(problem.errors?.map(\.field) == ["lines[1].quantity", "lines[2].quantity"])
            #expect(problem.errors?.map(\.message) == ["5 available", "5 available"])
            for sku in ["A", "B", "C"] { #expect(try await shop.stock(sku).reserved == 0) }
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func badCartsAreRefusedNamingTheFieldAndReserveNothing(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], stock: 5)
            try await shop.product(["USD-1"], currency: "USD", stock: 5)
            try await shop.product(["HIDDEN"], stock: 5, published: false)
            let ada = try await shop.buyer("ada@example.com")
            let cases: [(String, String)] = [
                (#"{"lines":[]}"#, "lines"),
                (#"{"lines":[{"sku":"NOPE","quantity":1}]}"#, "lines[0].sku"),
                (#"{"lines":[{"sku":"A","quantity":0}]}"#, "lines[0].quantity"),
                (#"{"lines":[{"sku":"A","quantity":-2}]}"#, "lines[0].quantity"),
                (#"{"lines":[{"sku":"A","quantity":100000000}]}"#, "lines[0].quantity"),
                (#"{"lines":[{"sku":"A","quantity":1e30}]}"#, "lines[0].quantity"),
                (#"{"lines":[{"sku":"A","quantity":1},{"sku":"A","quantity":1}]}"#, "lines[1].sku"),
                (#"{"lines":[{"sku":"A","quantity":1},{"sku":"USD-1","quantity":1}]}"#, "lines[1].sku"),
                (#"{"lines":[{"sku":"A","quantity":1}],"currency":"USD"}"#, "currency"),
                (#"{"lines":[{"sku":"A","quantity":1}],"currency":"usd"}"#, "currency"),
                (#"{"lines":[{"sku":"HIDDEN","quantity":1}]}"#, "lines[0].sku"),
                (#"{"lines":[{"sku":"A","quantity":1}],"location":"nowhere"}"#, "location"),
                (#"{"lines":[{"sku":"A","quantity":1}],"location":"*"}"#, "location"),
            ]
            for (body, field) in cases {
                let response = try await shop.client.json("/v1/checkouts", .post, token: ada, body: body)
                #expect(response.status == .unprocessableContent, "\(body): \(String(buffer: response.body))")
                #expect(response.headers[.contentType] == "application/problem+json")
                let fields = try response.decoded(ProblemView.self).errors?.map(\.field) ?? []
                #expect(fields.contains(field) || fields.contains { $0.hasSuffix(field) }, "\(body): \(fields)")
            }
            let missing = try await shop.client.json("/v1/checkouts", .post, token: ada, body: #"{"location":"main"}"#)
            #expect(missing.status == .unprocessableContent)
            for sku in ["A", "USD-1", "HIDDEN"] { #expect(try await shop.stock(sku).reserved == 0) }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anIdempotencyKeyReplaysTheFirstCheckout(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "cart-1"]
            let first = try await shop.client.json("/v1/checkouts", .post, token: ada, body: #"{"lines":[{"sku":"A","quantity":2}]}"#, headers: key)
            let second = try await shop.client.json("/v1/checkouts", .post, token: ada, body: #"{"lines":[{"sku":"A","quantity":2}]}"#, headers: key)
            #expect(first.status == .created && second.status == .created)
            #expect(try first.decoded(CheckoutView.self).id == second.decoded(CheckoutView.self).id)
            #expect(try await shop.stock("A").reserved == 2)
        }
    }

    /// Past the platform's replay (a node died after the commit, before the answer was kept), the
    /// checkout itself remembers the key: the same key gets the same checkout, reserved once.
    @Test(arguments: DatabaseEngine.allCases)
    func aKeyTheCheckoutRemembersNeverReservesTwice(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], stock: 5)
            let service = try shop.service()
            let body = NewCheckout(lines: [.init(sku: "A", quantity: 2)], location: nil, currency: nil)
            let first = try await service.reserve(body, owner: "usr_buyer", idempotencyKey: "k1")
            let results = try await concurrently(4) { _ in try await service.reserve(body, owner: "usr_buyer", idempotencyKey: "k1").id }
            #expect(Set(results) == [first.id])
            #expect(try await service.reserve(body, owner: "usr_other", idempotencyKey: "k1").id != first.id)
            #expect(try await shop.stock("A").reserved == 4)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func fallingBelowTheThresholdIsAnnouncedOnceWhenItIsCrossed(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], stock: 6, threshold: 5)
            let ada = try await shop.buyer("ada@example.com")
            #expect(try await shop.checkout([("A", 1)], token: ada).status == .created)
            #expect(try await shop.events(InventoryEvents.stockLow).isEmpty)
            #expect(try await shop.checkout([("A", 2)], token: ada).status == .created)
            #expect(try await shop.checkout([("A", 1)], token: ada).status == .created)
            let events = try await shop.events(InventoryEvents.stockLow)
            #expect(events.count == 1)
            #expect(events.first?.contains(#""available":3"#) == true, "\(events)")
        }
    }
}
