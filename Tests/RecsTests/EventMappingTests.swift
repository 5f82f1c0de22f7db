@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import Inventory
@testable import Recs
import SQLKit
import Testing

@Suite struct EventMappingTests {
    @Test func theSettingIsReadAndABadOneNamed() throws {
        let mappings = try EventMapping.parse(EventMapping.defaults + ", shop.item.viewed=view:viewer:item_id").get()
        #expect(mappings == [
            EventMapping(type: "inventory.order.paid", kind: .purchase, userField: "owner_id", itemField: "sku", itemList: "lines"),
            EventMapping(type: "shop.item.viewed", kind: .view, userField: "viewer", itemField: "item_id", itemList: nil),
        ])
        for bad in ["inventory.order.paid=buy:owner_id:sku", "x=view:user", "x=view:user:a[].b[].c", "=view:u:i"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try EventMapping.parse(bad).get() }
        }
        #expect(try EventMapping.parse("").get().isEmpty)
    }

    /// A paid order becomes a purchase of each of its lines by its owner, once, and the owner's
    /// list is folded in.
    @Test(arguments: DatabaseEngine.allCases)
    func aPaidOrderBecomesPurchasesOfItsLines(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [RecsModule(), InventoryModule()], configure: {
            $0.settings = Settings(["APUS_INVENTORY_PAYMENT_SECRET": "whsec_test"])
        }) { server, client in
            let payload = #"{"order_id":"ord_1","checkout_id":"chk_1","owner_id":"usr_buyer","amount":300,"currency":"EUR","lines":[{"sku":"MUG","quantity":2},{"sku":"TEA","quantity":1}]}"#
            try await server.platform.transaction { transaction in
                try await transaction.emit(NewEvent(type: "inventory.order.paid", aggregate: "ord_1", payload: payload, owner: "usr_buyer"))
            }
            try await expectEventually {
                let rows = try await server.platform.read { sql in
                    try await sql.raw("SELECT user_id, item_id, kind, weight FROM recs_interactions ORDER BY item_id").all()
                }
                let seen = try rows.map { "\(try $0.decode(column: "user_id", as: String.self)) \(try $0.decode(column: "item_id", as: String.self)) \(try $0.decode(column: "kind", as: String.self)) \(try $0.decode(column: "weight", as: Double.self))" }
                return seen == ["usr_buyer MUG purchase 3.0", "usr_buyer TEA purchase 3.0"]
            }
            _ = client
        }
    }
}

@Suite struct ServedListTests {
    /// The hand-written answer is the JSON a parser reads back, escapes included.
    @Test func theAnswerIsJSONAParserReadsBack() throws {
        let odd = "odd\"\\\u{01}é"
        let list = ServedList(list: RenderedList([Recommendation(item: "i-1", score: 0.5), Recommendation(item: odd, score: 1e-7)]), model: "mdl_1", strategy: "personal")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(list.json.utf8)) as? [String: Any])
        let items = try #require(parsed["items"] as? [[String: Any]])
        #expect(items.map { $0["item"] as? String } == ["i-1", odd])
        #expect(items.map { $0["score"] as? Double } == [0.5, 1e-7])
        #expect(parsed["model"] as? String == "mdl_1" && parsed["strategy"] as? String == "personal")
        let none = try #require(try JSONSerialization.jsonObject(with: Data(ServedList(list: .empty, model: nil, strategy: "none").json.utf8)) as? [String: Any])
        #expect(none["model"] == nil && (none["items"] as? [Any])?.isEmpty == true)
        // Filtering and cutting keep each item with its own rendering.
        let three = RenderedList(["a", "b", "c"].enumerated().map { Recommendation(item: $1, score: Double($0)) })
        let cut = ServedList(list: three.filter { $0.item != "a" }.prefix(1), model: "m", strategy: "popularity")
        let served = try #require(try JSONSerialization.jsonObject(with: Data(cut.json.utf8)) as? [String: Any])
        #expect((served["items"] as? [[String: Any]])?.map { "\($0["item"]!)=\($0["score"] as? Double ?? -1)" } == ["b=1.0"])
        // A prefix is a count over the same rendering: cut again, past its end, to nothing, and
        // filtered, it serves only what it held.
        let two = three.prefix(2)
        #expect(two.prefix(5).items.map(\.item) == ["a", "b"])
        #expect(two.filter { $0.item != "a" }.items.map(\.item) == ["b"])
        #expect(ServedList(list: two.prefix(0), model: nil, strategy: "none").json == #"{"items":[],"strategy":"none"}"#)
        // A filter copies the kept items' JSON: the same bytes as rendering them afresh, whichever
        // items it drops (the first, a middle one, the last, all).
        for dropped in ["a", "b", "c", nil] as [String?] {
            let kept = three.filter { dropped == nil ? false : $0.item != dropped }
            let fresh = RenderedList(three.items.filter { dropped == nil ? false : $0.item != dropped })
            #expect(ServedList(list: kept, model: "m", strategy: "s").json == ServedList(list: fresh, model: "m", strategy: "s").json)
        }
        #expect(ServedList(list: two, model: "m", strategy: "personal").json == #"{"items":[{"item":"a","score":0.0},{"item":"b","score":1.0}],"model":"m","strategy":"personal"}"#)
    }
}
