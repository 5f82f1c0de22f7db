import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import Testing

@Suite struct CatalogueTests {
    struct ProductView: Decodable {
        struct VariantView: Decodable { let sku: String; let price: Int; let currency: String; let attributes: [String: String] }
        let id: String
        let name: String
        let published: Bool
        let version: Int
        let variants: [VariantView]
    }
    struct Page<Item: Decodable>: Decodable { let items: [Item]; let nextCursor: String? }

    @Test(arguments: DatabaseEngine.allCases)
    func strangersSeePublishedProductsAndStaffSeeAll(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let published = try await shop.product(["TEE-M"])
            let draft = try await shop.product(["TEE-DRAFT"], published: false)
            let client = shop.client
            let anonymous = try await client.json("/v1/inventory/products", .get).decoded(Page<ProductView>.self)
            #expect(anonymous.items.map(\.id) == [published])
            #expect(anonymous.items[0].variants[0].attributes == ["size": "m"])
            #expect(try await client.json("/v1/inventory/products/\(draft)", .get).status == .notFound)
            let viewer = try await shop.buyer("ada@example.com")
            #expect(try await client.json("/v1/inventory/products", .get, token: viewer).decoded(Page<ProductView>.self).items.count == 1)
            #expect(try await client.json("/v1/inventory/products", .get, token: shop.admin).decoded(Page<ProductView>.self).items.count == 2)
            #expect(try await client.json("/v1/inventory/products/\(draft)", .get, token: shop.admin).status == .ok)
            // Managing needs inventory.manage.
            #expect(try await client.json("/v1/inventory/products", .post, token: viewer, body: #"{"name":"x","variants":[]}"#).status == .forbidden)
            #expect(try await client.json("/v1/inventory/products", .post, body: #"{"name":"x","variants":[]}"#).status == .unauthorized)
            #expect(try await client.json("/v1/inventory/stock?sku=TEE-M", .get, token: viewer).status == .forbidden)
            let editor = try await client.signedIn("ed@example.com", roles: [.editor], server: shop.server).accessToken
            #expect(try await client.json("/v1/inventory/stock?sku=TEE-M", .get, token: editor).status == .ok)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func badProductsAreRefusedNamingTheField(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["TAKEN"])
            let cases: [(String, String)] = [
                (#"{"name":"","variants":[{"sku":"A","name":"a","price":1,"currency":"EUR"}]}"#, "name"),
                (#"{"name":"x","variants":[]}"#, "variants"),
                (#"{"name":"x","variants":[{"sku":"a b","name":"a","price":1,"currency":"EUR"}]}"#, "variants[0].sku"),
                (#"{"name":"x","variants":[{"sku":"A","name":"a","price":-1,"currency":"EUR"}]}"#, "variants[0].price"),
                (#"{"name":"x","variants":[{"sku":"A","name":"a","price":1,"currency":"euro"}]}"#, "variants[0].currency"),
                (#"{"name":"x","variants":[{"sku":"A","name":"a","price":1,"currency":"EUR"},{"sku":"A","name":"b","price":1,"currency":"EUR"}]}"#, "variants[1].sku"),
                (#"{"name":"x","variants":[{"sku":"A","name":"a","price":1,"currency":"EUR","attributes":{"Shoe Size":"4"}}]}"#, "variants[0].attributes"),
            ]
            for (body, field) in cases {
                let response = try await shop.client.json("/v1/inventory/products", .post, token: shop.admin, body: body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(try response.decoded(ProblemView.self).errors?.first?.field == field, "\(body)")
            }
            let taken = try await shop.client.json("/v1/inventory/products", .post, token: shop.admin, body: #"{"name":"x","variants":[{"sku":"TAKEN","name":"a","price":1,"currency":"EUR"}]}"#)
            #expect(taken.status == .conflict)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func changingAProductNeedsItsCurrentVersion(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let id = try await shop.product(["TEE-M"])
            let client = shop.client
            let read = try await client.json("/v1/inventory/products/\(id)", .get, token: shop.admin)
            let etag = try #require(read.headers[.eTag])
            #expect(etag == "\"1\"")
            let missing = try await client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"name":"Shirt"}"#)
            #expect(missing.status == .preconditionRequired)
            let changed = try await client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"name":"Shirt"}"#, headers: [.ifMatch: etag])
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] == "\"2\"")
            #expect(try changed.decoded(ProductView.self).name == "Shirt")
            // A second writer holding the old version loses, and nothing changes.
            let stale = try await client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"name":"Blouse"}"#, headers: [.ifMatch: etag])
            #expect(stale.status == .preconditionFailed)
            #expect(try await client.json("/v1/inventory/products/\(id)", .get).decoded(ProductView.self).name == "Shirt")
            #expect(try await client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"name":"x"}"#, headers: [.ifMatch: "nonsense"]).status == .badRequest)
            // Of concurrent writers at one version, exactly one wins.
            let statuses = try await concurrently(8) { index in
                try await client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"name":"N\#(index)"}"#, headers: [.ifMatch: "\"2\""]).status
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .preconditionFailed }.count == 7)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func ifMatchStarMatchesWhateverVersionIsCurrentButNoMissingProduct(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let id = try await shop.product(["TEE-M"])
            let client = shop.client
            let changed = try await client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"name":"Shirt"}"#, headers: [.ifMatch: "*"])
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")
            #expect(changed.headers[.eTag] == "\"2\"")
            let variant = try await client.json("/v1/inventory/products/\(id)/variants", .post, token: shop.admin, body: #"{"sku":"TEE-L","name":"L","price":1,"currency":"EUR"}"#, headers: [.ifMatch: " * "])
            #expect(variant.status == .created)
            #expect(variant.headers[.eTag] == "\"3\"")
            let missing = try await client.json("/v1/inventory/products/prd_0000000000000000000000", .patch, token: shop.admin, body: #"{"name":"x"}"#, headers: [.ifMatch: "*"])
            #expect(missing.status == .notFound)
            #expect(try await client.json("/v1/inventory/products/\(id)", .patch, token: shop.admin, body: #"{"name":"x"}"#, headers: [.ifMatch: "**"]).status == .badRequest)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func adjustmentsMoveStockAndLeaveMovementsThatRebuildIt(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.location("berlin")
            try await shop.product(["TEE-M"], stock: 10)
            try await shop.receive("TEE-M", 5, at: "berlin")
            let down = try await shop.client.json("/v1/inventory/stock/adjustments", .post, token: shop.admin, body: #"{"sku":"TEE-M","location":"main","delta":-3,"reason":"damaged"}"#)
            #expect(down.status == .created)
            let stock = try await shop.stock("TEE-M")
            #expect(stock.onHand == 12 && stock.reserved == 0 && stock.available == 12)
            #expect(stock.levels.map(\.location) == ["berlin", "main"])
            #expect(stock.levels.map(\.onHand) == [5, 7])
            // Below zero is refused, and changes nothing.
            let below = try await shop.client.json("/v1/inventory/stock/adjustments", .post, token: shop.admin, body: #"{"sku":"TEE-M","location":"main","delta":-8,"reason":"lost"}"#)
            #expect(below.status == .conflict)
            #expect(try await shop.stock("TEE-M").onHand == 12)
            for (body, field) in [
                (#"{"sku":"NOPE","location":"main","delta":1,"reason":"x"}"#, "sku"),
                (#"{"sku":"TEE-M","location":"nowhere","delta":1,"reason":"x"}"#, "location"),
                (#"{"sku":"TEE-M","location":"main","delta":0,"reason":"x"}"#, "delta"),
                (#"{"sku":"TEE-M","location":"main","delta":1,"reason":""}"#, "reason"),
                (#"{"sku":"TEE-M","location":"main","delta":-1,"reason":"x","kind":"received"}"#, "delta"),
            ] {
                let response = try await shop.client.json("/v1/inventory/stock/adjustments", .post, token: shop.admin, body: body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(try response.decoded(ProblemView.self).errors?.first?.field == field, "\(body)")
            }
            struct MovementView: Decodable { let kind: String; let onHandDelta: Int; let location: String; let reason: String; let actor: String }
            struct Page: Decodable { let items: [MovementView]; let nextCursor: String? }
            let movements = try await shop.client.json("/v1/inventory/movements?sku=TEE-M", .get, token: shop.admin).decoded(Page.self)
            #expect(movements.items.map(\.kind) == ["received", "received", "adjusted"])
            #expect(movements.items.map(\.onHandDelta) == [10, 5, -3])
            #expect(movements.items.last?.reason == "damaged")
            let firstPage = try await shop.client.json("/v1/inventory/movements?sku=TEE-M&limit=2", .get, token: shop.admin).decoded(Page.self)
            let cursor = try #require(firstPage.nextCursor)
            #expect(try await shop.client.json("/v1/inventory/movements?sku=TEE-M&cursor=\(cursor)", .get, token: shop.admin).decoded(Page.self).items.count == 1)
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
