import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
@testable import Inventory
import Testing

/// Variants are added to and changed on a product after it was created, under the product's
/// version: each change moves its ETag on, a stale one gets 412 and a missing one 428.
@Suite struct VariantTests {
    struct ProductView: Decodable {
        struct VariantView: Decodable { let id: String; let sku: String; let name: String; let price: Int; let lowStockThreshold: Int }
        let version: Int
        let variants: [VariantView]
    }

    @Test(arguments: DatabaseEngine.allCases)
    func variantsAreAddedAndChangedAtTheProductsVersion(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let id = try await shop.product(["TEE-M"])
            let client = shop.client
            let path = "/v1/inventory/products/\(id)/variants"
            let variant = #"{"sku":"TEE-L","name":"Large","price":1200,"currency":"EUR"}"#
            #expect(try await client.json(path, .post, token: shop.admin, body: variant).status == .preconditionRequired)
            let added = try await client.json(path, .post, token: shop.admin, body: variant, headers: [.ifMatch: "\"1\""])
            #expect(added.status == .created)
            #expect(added.headers[.eTag] == "\"2\"")
            let product = try added.decoded(ProductView.self)
            #expect(product.variants.map(\.sku).sorted() == ["TEE-L", "TEE-M"])
            // The old version is stale now, and a taken SKU changes nothing.
            #expect(try await client.json(path, .post, token: shop.admin, body: #"{"sku":"TEE-S","name":"S","price":1,"currency":"EUR"}"#, headers: [.ifMatch: "\"1\""]).status == .preconditionFailed)
            #expect(try await client.json(path, .post, token: shop.admin, body: variant, headers: [.ifMatch: "\"2\""]).status == .conflict)
            #expect(try await client.json(path, .post, token: shop.admin, body: #"{"sku":"bad sku","name":"S","price":1,"currency":"EUR"}"#, headers: [.ifMatch: "\"2\""]).status == .unprocessableContent)
            #expect(try await client.json("/v1/inventory/products/\(id)", .get).decoded(ProductView.self).version == 2)

            // The new variant is for sale at once.
            _ = try await shop.client.json("/v1/inventory/stock/adjustments", .post, token: shop.admin, body: #"{"sku":"TEE-L","location":"main","delta":3,"reason":"in"}"#)
            let ada = try await shop.buyer("ada@example.com")
            #expect(try await shop.checkout([("TEE-L", 2)], token: ada).status == .created)

            let large = try #require(product.variants.first { $0.sku == "TEE-L" })
            let patch = #"{"price":1500,"low_stock_threshold":2}"#
            #expect(try await client.json("\(path)/\(large.id)", .patch, token: shop.admin, body: patch).status == .preconditionRequired)
            let changed = try await client.json("\(path)/\(large.id)", .patch, token: shop.admin, body: patch, headers: [.ifMatch: "\"2\""])
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] == "\"3\"")
            let after = try #require(try changed.decoded(ProductView.self).variants.first { $0.sku == "TEE-L" })
            #expect(after.price == 1500 && after.lowStockThreshold == 2 && after.name == "Large")
            #expect(try await client.json("\(path)/\(large.id)", .patch, token: shop.admin, body: patch, headers: [.ifMatch: "\"2\""]).status == .preconditionFailed)
            #expect(try await client.json("\(path)/\(large.id)", .patch, token: shop.admin, body: #"{"price":-1}"#, headers: [.ifMatch: "\"3\""]).status == .unprocessableContent)
            #expect(try await client.json("\(path)/var_missing", .patch, token: shop.admin, body: patch, headers: [.ifMatch: "\"3\""]).status == .notFound)
            // Of concurrent writers at one version, exactly one wins.
            let statuses = try await concurrently(6) { index in
                try await client.json("\(path)/\(large.id)", .patch, token: shop.admin, body: #"{"price":\#(index)}"#, headers: [.ifMatch: "\"3\""]).status
            }
            #expect(statuses.filter { $0 == .ok }.count == 1 && statuses.filter { $0 == .preconditionFailed }.count == 5)
            // Buyers cannot change the catalogue.
            #expect(try await client.json(path, .post, token: ada, body: variant, headers: [.ifMatch: "\"4\""]).status == .forbidden)
        }
    }
}
