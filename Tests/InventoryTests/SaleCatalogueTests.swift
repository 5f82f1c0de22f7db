import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
@testable import Inventory
import Testing

/// Checkouts price SKUs from each node's cache of the catalogue; a change to a product on one
/// node reaches the checkouts of every node.
@Suite struct SaleCatalogueTests {
    struct ProductView: Decodable {
        struct VariantView: Decodable { let id: String }
        let variants: [VariantView]
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPriceChangeOrAnUnpublishedProductOnOneNodeReachesTheOthersCheckouts(engine: DatabaseEngine) async throws {
        try await Shop.onTwoNodes(engine: engine) { shop, other in
            #expect(try await other.server.platform.cachesHearTheBus())
            let id = try await shop.product(["TEE"], price: 1000, stock: 1000)
            let ada = try await other.buyer("ada@example.com")
            func price() async throws -> Int? {
                let response = try await other.checkout([("TEE", 1)], token: ada)
                return response.status == .created ? try response.decoded(CheckoutView.self).lines[0].unitPrice : nil
            }
            #expect(try await price() == 1000)
            // The product's creation may still be on its way to `other` and drop what that
            // checkout cached; once it has arrived, a checkout of the SKU reads the cache.
            let cached = try await eventually {
                let hits = try await Self.cacheHits(other)
                let price = try await price()
                let after = try await Self.cacheHits(other)
                return price == 1000 && after == hits + 1
            }
            #expect(cached, "a checkout of a SKU the node has cached reads the cache")

            let variant = try await shop.client.json("/v1/inventory/products/\(id)", .get, token: shop.admin).decoded(ProductView.self).variants[0].id
            let changed = try await shop.client.json("/v1/inventory/products/\(id)/variants/\(variant)", .patch, token: shop.admin, body: #"{"price":1500}"#, headers: [.ifMatch: "\"1\""])
            #expect(changed.status == .ok)
            #expect(try await eventually { try await price() == 1500 })

            let unpublished = try await shop.client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"published":false}"#, headers: [.ifMatch: "\"2\""])
            #expect(unpublished.status == .ok)
            #expect(try await eventually { try await other.checkout([("TEE", 1)], token: ada).status == .unprocessableContent })
            let refused = try await other.checkout([("TEE", 1)], token: ada).decoded(ProblemView.self)
            #expect(refused.errors?.first?.message == "is not for sale")
        }
    }

    /// The window between a change's commit and its invalidation reaching a node: the node's
    /// cache is put back to the old terms by hand, as if the bus message were still on its way.
    /// The checkout still charges the committed price, and refuses an unpublished product.
    @Test(arguments: DatabaseEngine.allCases)
    func aCheckoutChargesTheCommittedTermsWhileItsNodesCacheStillHoldsTheOldOnes(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let id = try await shop.product(["TEE"], price: 1000, stock: 10)
            let ada = try await shop.buyer("ada@example.com")
            let cache = try shop.service().sale.variants
            // Past the listener's first clear, so what is planted below stays until read.
            #expect(try await shop.server.platform.cachesHearTheBus())
            #expect(try await shop.checkout([("TEE", 1)], token: ada).decoded(CheckoutView.self).amount == 1000)
            guard case .value(let old)? = cache.cached("TEE") else {
                Issue.record("the checkout did not cache its SKU")
                return
            }
            let changed = try await shop.client.json("/v1/inventory/products/\(id)/variants/\(old.variant.id)", .patch, token: shop.admin, body: #"{"price":1500}"#, headers: [.ifMatch: "\"1\""])
            #expect(changed.status == .ok)
            _ = try await cache.load("TEE") { old }
            let repriced = try await shop.checkout([("TEE", 2)], token: ada)
            #expect(repriced.status == .created)
            let checkout = try repriced.decoded(CheckoutView.self)
            #expect(checkout.amount == 3000 && checkout.lines[0].unitPrice == 1500)

            let unpublished = try await shop.client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"published":false}"#, headers: [.ifMatch: "\"2\""])
            #expect(unpublished.status == .ok)
            _ = try await cache.load("TEE") { old }
            let refused = try await shop.checkout([("TEE", 1)], token: ada)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.decoded(ProblemView.self).errors?.first?.message == "is not for sale")
            let stock = try await shop.stock("TEE")
            #expect(stock.reserved == 3 && stock.onHand == 10)
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    /// `apus_cache_hits_total` of the checkout cache on the node of `shop`.
    static func cacheHits(_ shop: Shop) async throws -> Double {
        let text = String(buffer: try await shop.client.execute(uri: "/metrics", method: .get).body)
        let line = text.split(separator: "\n").first { $0.hasPrefix(#"apus_cache_hits_total{cache="inventory.variants"}"#) }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }
}
