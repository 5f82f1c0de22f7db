@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Inventory
import SQLKit
import Testing

/// The webhook secret the tests sign with.
let paymentSecret = "whsec_test_secret"

struct StockView: Decodable, Sendable {
    struct Level: Decodable, Sendable { let location: String; let onHand: Int; let reserved: Int; let available: Int }
    let sku: String
    let onHand: Int
    let reserved: Int
    let available: Int
    let levels: [Level]
}

struct CheckoutView: Decodable, Sendable {
    struct Line: Decodable, Sendable { let sku: String; let quantity: Int; let unitPrice: Int; let returned: Int }
    let id: String
    let orderId: String
    let status: String
    let lines: [Line]
    let amount: Int
    let currency: String
    let expiresAt: Date
}

struct OrderView: Decodable, Sendable {
    let id: String
    let checkoutId: String
    let status: String
    let fulfilment: String
    let amount: Int
    let currency: String
    let lines: [CheckoutView.Line]
}

struct ProblemView: Decodable, Sendable {
    struct FieldError: Decodable, Sendable { let field: String; let message: String }
    let status: Int
    let detail: String?
    let errors: [FieldError]?
}

/// A node running Inventory, with an admin, a location `main` and helpers to stock it.
struct Shop: Sendable {
    let server: ApusServer
    let client: any TestClientProtocol
    let admin: String

    static func with<Result: Sendable>(
        engine: DatabaseEngine,
        clock: TestClock? = nil,
        settings: [String: String] = [:],
        _ body: @Sendable (Shop) async throws -> Result
    ) async throws -> Result {
        try await TestServer.withNode(engine: engine, modules: [InventoryModule()], clock: clock, configure: {
            $0.settings = Settings(["APUS_INVENTORY_PAYMENT_SECRET": paymentSecret].merging(settings) { $1 })
            // The concurrency tests send hundreds of requests from one address at once.
            $0.defaultRateLimit = RateLimitPolicy(name: "default", limit: 1_000_000, window: 60)
        }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server).accessToken
            let shop = Shop(server: server, client: client, admin: admin)
            try await shop.location("main")
            return try await body(shop)
        }
    }

    /// Two nodes running Inventory on one fresh database of `engine`, as a shop each: the first
    /// has the admin and a location `main`; the second acts with the same admin token.
    static func onTwoNodes(
        engine: DatabaseEngine, settings: [String: String] = [:], _ body: @Sendable (Shop, Shop) async throws -> Void
    ) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [InventoryModule()], configure: {
            $0.settings = Settings(["APUS_INVENTORY_PAYMENT_SECRET": paymentSecret].merging(settings) { $1 })
            $0.defaultRateLimit = RateLimitPolicy(name: "default", limit: 1_000_000, window: 60)
        }) { first, second in
            let shop = Shop(server: first.0, client: first.1, admin: try await first.1.signedIn("admin@example.com", roles: [.admin], server: first.0).accessToken)
            try await shop.location("main")
            try await body(shop, Shop(server: second.0, client: second.1, admin: shop.admin))
        }
    }

    @discardableResult
    func location(_ code: String) async throws -> TestResponse {
        let response = try await client.json("/v1/inventory/locations", .post, token: admin, body: #"{"code":"\#(code)","name":"Warehouse \#(code)"}"#)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return response
    }

    /// A published product with one variant per SKU, each priced `price` in `currency`, and
    /// `stock` units received at `main`.
    @discardableResult
    func product(_ skus: [String], price: Int = 1000, currency: String = "EUR", stock: Int = 0, threshold: Int = 0, published: Bool = true) async throws -> String {
        let variants = skus.map { #"{"sku":"\#($0)","name":"\#($0)","price":\#(price),"currency":"\#(currency)","attributes":{"size":"m"},"low_stock_threshold":\#(threshold)}"# }
        let response = try await client.json("/v1/inventory/products", .post, token: admin, body: #"{"name":"Tee","published":\#(published),"variants":[\#(variants.joined(separator: ","))]}"#)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        if stock > 0 {
            for sku in skus { try await receive(sku, stock) }
        }
        struct Created: Decodable { let id: String }
        return try response.decoded(Created.self).id
    }

    func receive(_ sku: String, _ units: Int, at location: String = "main") async throws {
        let response = try await client.json("/v1/inventory/stock/adjustments", .post, token: admin, body: #"{"sku":"\#(sku)","location":"\#(location)","delta":\#(units),"reason":"delivery","kind":"received"}"#)
        try #require(response.status == .created, "\(String(buffer: response.body))")
    }

    func stock(_ sku: String) async throws -> StockView {
        try await client.json("/v1/inventory/stock?sku=\(sku)", .get, token: admin).decoded(StockView.self)
    }

    func buyer(_ email: String) async throws -> String {
        try await client.signedIn(email, server: server).accessToken
    }

    func checkout(_ lines: [(String, Int)], token: String, extra: String = "") async throws -> TestResponse {
        let body = lines.map { #"{"sku":"\#($0.0)","quantity":\#($0.1)}"# }.joined(separator: ",")
        return try await client.json("/v1/checkouts", .post, token: token, body: #"{"lines":[\#(body)]\#(extra)}"#)
    }

    /// A signed webhook delivery of `type` for `checkout`.
    func pay(_ type: String = "payment_intent.succeeded", checkout: String, amount: Int, currency: String = "eur", eventID: String = "evt_\(UUID().uuidString)", at time: Date? = nil, secret: String = paymentSecret) async throws -> TestResponse {
        let delivery = payment(type, checkout: checkout, amount: amount, currency: currency, eventID: eventID, at: time, secret: secret)
        return try await client.json("/v1/payments/webhook", .post, body: delivery.payload, headers: [PaymentWebhookRoute.signatureHeader: delivery.signature])
    }

    /// A signed webhook delivery's body and signature header, to send later or to a service.
    func payment(_ type: String = "payment_intent.succeeded", checkout: String, amount: Int, currency: String = "eur", eventID: String = "evt_\(UUID().uuidString)", at time: Date? = nil, secret: String = paymentSecret) -> (payload: String, signature: String) {
        let payload = #"{"id":"\#(eventID)","type":"\#(type)","data":{"object":{"id":"pi_1","amount":\#(amount),"currency":"\#(currency)","metadata":{"checkout_id":"\#(checkout)"}}}}"#
        let timestamp = Int64((time ?? server.platform.now()).timeIntervalSince1970)
        return (payload, PaymentSignature.header(timestamp: timestamp, payload: Array(payload.utf8), secret: secret))
    }

    /// The service behind the node's routes, over the node's platform (for the expiry job), with
    /// the node's payment secret.
    func service(settings: [String: String] = [:], hooks: InventoryHooks = InventoryHooks()) throws -> InventoryService {
        let settings = ["APUS_INVENTORY_PAYMENT_SECRET": paymentSecret].merging(settings) { $1 }
        return InventoryService(platform: server.platform, settings: try InventorySettings(Settings(settings)), hooks: hooks)
    }

    /// Checks that every stock row equals the sum of its movements, and that none is negative.
    func expectStockRebuildsFromMovements(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (stock, rebuilt) = try await server.platform.database.read { sql in
            let stock = try await sql.raw("SELECT variant_id, location_id, on_hand, reserved FROM inventory_stock").all().map { row in
                ["\(try row.decode(column: "variant_id", as: String.self))/\(try row.decode(column: "location_id", as: String.self))":
                    [try row.decode(column: "on_hand", as: Int.self), try row.decode(column: "reserved", as: Int.self)]]
            }.reduce(into: [String: [Int]]()) { $0.merge($1) { $1 } }
            let rebuilt = try await sql.raw("""
                SELECT variant_id, location_id, CAST(SUM(on_hand_delta) AS BIGINT) AS on_hand, CAST(SUM(reserved_delta) AS BIGINT) AS reserved
                FROM inventory_movements GROUP BY variant_id, location_id
                """).all().map { row in
                ["\(try row.decode(column: "variant_id", as: String.self))/\(try row.decode(column: "location_id", as: String.self))":
                    [try row.decode(column: "on_hand", as: Int.self), try row.decode(column: "reserved", as: Int.self)]]
            }.reduce(into: [String: [Int]]()) { $0.merge($1) { $1 } }
            return (stock, rebuilt)
        }
        #expect(!stock.isEmpty, sourceLocation: sourceLocation)
        #expect(stock == rebuilt, "stock rows differ from their movements", sourceLocation: sourceLocation)
        #expect(stock.values.allSatisfy { $0[0] >= 0 && $0[1] >= 0 && $0[1] <= $0[0] }, sourceLocation: sourceLocation)
    }

    /// The payloads of outbox events of `type`.
    func events(_ type: String) async throws -> [String] {
        try await server.platform.database.read { sql in
            try await sql.raw("SELECT payload FROM apus_events WHERE type = \(bind: type)").all().map { try $0.decode(column: "payload", as: String.self) }
        }
    }
}

/// Runs `count` calls of `body` at once and collects their answers.
/// Runs `body` for 0..<count at once, or with at most `inFlight` running at a time.
func concurrently<Value: Sendable>(
    _ count: Int, inFlight: Int? = nil, _ body: @escaping @Sendable (Int) async throws -> Value
) async throws -> [Value] {
    try await withThrowingTaskGroup(of: Value.self) { group in
        let width = min(count, inFlight ?? count)
        var results: [Value] = []
        for index in 0..<width { group.addTask { try await body(index) } }
        var next = width
        while let value = try await group.next() {
            results.append(value)
            if next < count {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
        }
        return results
    }
}
