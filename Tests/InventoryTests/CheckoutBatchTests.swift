import ApusCore
import Foundation
@testable import Inventory
import Testing

/// Checkouts written together in one transaction stay each other's strangers: one that cannot
/// be written (a raced Idempotency-Key) fails none of the others.
@Suite struct CheckoutBatchTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aRacedIdempotencyKeyFailsNoOtherCheckoutOfItsBatch(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], stock: 100)
            let service = try shop.service()
            let body = NewCheckout(lines: [.init(sku: "A", quantity: 1)], location: nil, currency: nil)
            // Even indexes share one new key; odd ones each bring their own.
            let ids = try await concurrently(40) { index in
                (index, try await service.reserve(body, owner: "usr_buyer", idempotencyKey: index % 2 == 0 ? "shared" : "own-\(index)").id)
            }
            let shared = Set(ids.filter { $0.0 % 2 == 0 }.map(\.1))
            let own = Set(ids.filter { $0.0 % 2 == 1 }.map(\.1))
            #expect(shared.count == 1)
            #expect(own.count == 20 && own.isDisjoint(with: shared))
            #expect(try await shop.stock("A").reserved == 21)
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
