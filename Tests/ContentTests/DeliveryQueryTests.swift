import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Testing

/// `GET …/published?filter=&sort=`: equality filters and an order on indexed fields, pages that
/// follow the order with cursors, and a 400 for anything else.
@Suite struct DeliveryQueryTests {
    static let products = #"""
        {"name":"Product","api_id":"products","public":true,"locales":["en","fr"],
         "fields":[{"name":"title","kind":"text","required":true,"localised":true},
                   {"name":"category","kind":"enum","values":["tools","toys","books"],"indexed":true},
                   {"name":"price","kind":"number","indexed":true},
                   {"name":"featured","kind":"boolean","indexed":true},
                   {"name":"released","kind":"date_time","indexed":true},
                   {"name":"maker","kind":"text"}]}
        """#

    /// Six published products and one draft; published a second apart, in this order.
    static let catalogue: [(title: String, fields: String, publish: Bool)] = [
        ("Hammer", #""category":"tools","price":20,"featured":true,"released":"2026-03-01T12:00:00+02:00","maker":"acme""#, true),
        ("Kite", #""category":"toys","price":5,"featured":false,"released":"2026-03-01T08:00:00Z""#, true),
        ("Atlas", #""category":"books","price":100,"released":"2025-01-01T00:00:00Z""#, true),
        ("Saw", #""category":"tools","price":10,"featured":false"#, true),
        ("Drill", #""category":"tools","featured":true,"maker":"acme""#, true),
        ("Yo-yo", #""category":"toys","price":5,"featured":true"#, true),
        ("Draft", #""category":"tools","price":1"#, false),
    ]

    func titles(_ cms: CMS, _ query: String) async throws -> [String] {
        let response = try await cms.get("/v1/content/products/published?\(query)")
        try #require(response.status == .ok, "\(query): \(response.text)")
        return try response.json().items.map { $0.string("title") }
    }

    /// Every title of the query, following `next_cursor` a page of `limit` at a time.
    func walk(_ cms: CMS, _ query: String, limit: Int) async throws -> [String] {
        var titles: [String] = []
        var cursor: String?
        repeat {
            let path = "/v1/content/products/published?\(query)&limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await cms.get(path)
            try #require(page.status == .ok, "\(path): \(page.text)")
            let json = try page.json()
            titles += json.items.map { $0.string("title") }
            cursor = json["next_cursor"].flatMap { if case .string(let text) = $0 { text } else { nil } }
        } while cursor != nil && titles.count < 50
        return titles
    }

    func stock(_ cms: CMS, clock: TestClock) async throws -> [String: JSONValue] {
        try await cms.type(Self.products)
        var entries: [String: JSONValue] = [:]
        for product in Self.catalogue {
            let entry = try await cms.entry(#"{"title":"\#(product.title)",\#(product.fields)}"#, type: "products")
            if product.publish {
                clock.advance(by: 1)
                #expect(try await cms.move(entry, "publish", type: "products").status == .ok)
            }
            entries[product.title] = entry
        }
        return entries
    }

    @Test(arguments: DatabaseEngine.allCases)
    func filtersAndOrdersFollowTheIndexedFields(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await CMS.with(engine: engine, clock: clock) { cms in
            _ = try await stock(cms, clock: clock)
            #expect(try await titles(cms, "filter=category:tools") == ["Hammer", "Saw", "Drill"])
            #expect(try await titles(cms, "filter=category:tools,featured:true") == ["Hammer", "Drill"])
            #expect(try await titles(cms, "filter=category:toys&filter=price:5") == ["Kite", "Yo-yo"])
            // A time matches however it is written: the same instant as Kite's, from another zone.
            #expect(try await titles(cms, "filter=released:2026-03-01T09:00:00%2B01:00") == ["Kite"])
            #expect(try await titles(cms, "filter=price:5.0&sort=-published_at") == ["Yo-yo", "Kite"])
            #expect(try await titles(cms, "filter=category:books,featured:true").isEmpty)

            // Numbers in numeric order, equal values by id, entries without a value last either way.
            let ascending = ["Kite", "Yo-yo", "Saw", "Hammer", "Atlas", "Drill"]
            #expect(try await titles(cms, "sort=price") == ascending)
            #expect(try await walk(cms, "sort=price", limit: 2) == ascending)
            #expect(try await walk(cms, "sort=-price", limit: 4) == ["Atlas", "Hammer", "Saw", "Yo-yo", "Kite", "Drill"])
            // Times in time order, whatever zone they were written in.
            #expect(try await walk(cms, "sort=released", limit: 1) == ["Atlas", "Kite", "Hammer", "Saw", "Drill", "Yo-yo"])
            #expect(try await walk(cms, "sort=-published_at", limit: 4) == ["Yo-yo", "Drill", "Saw", "Atlas", "Kite", "Hammer"])
            #expect(try await walk(cms, "filter=category:tools&sort=-price", limit: 1) == ["Hammer", "Saw", "Drill"])
            // The default order and its plain id cursors are unchanged.
            #expect(try await walk(cms, "locale=fr", limit: 4) == ["Hammer", "Kite", "Atlas", "Saw", "Drill", "Yo-yo"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func theIndexFollowsPublishingAndTypeChanges(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await CMS.with(engine: engine, clock: clock) { cms in
            let entries = try await stock(cms, clock: clock)
            // Withdrawn entries leave; a republished one is found by its new value.
            #expect(try await cms.move(try #require(entries["Saw"]), "unpublish", type: "products").status == .ok)
            #expect(try await titles(cms, "filter=category:tools") == ["Hammer", "Drill"])
            let draft = try #require(entries["Draft"])
            let saved = try await cms.save(draft, #"{"price":7}"#, type: "products")
            #expect(saved.status == .ok)
            #expect(try await cms.move(try saved.json(), "publish", type: "products").status == .ok)
            #expect(try await titles(cms, "filter=price:7") == ["Draft"])
            #expect(try await titles(cms, "filter=price:1").isEmpty)
            #expect(try await cms.client.json("/v1/content/products/entries/\(draft.string("id"))", .delete, token: cms.editor).status == .noContent)
            #expect(try await titles(cms, "filter=price:7").isEmpty)

            // A field made indexed is filled from what is published; one no longer indexed is refused.
            #expect(try await cms.get("/v1/content/products/published?filter=maker:acme").status == .badRequest)
            let type = try await cms.get("/v1/content/types/products", token: cms.admin)
            var fields = try #require(try type.json()["fields"].flatMap { if case .array(let items) = $0 { items } else { nil } })
            for index in fields.indices {
                guard case .object(var field) = fields[index] else { continue }
                if field["name"] == "maker" { field["indexed"] = true }
                if field["name"] == "price" { field["indexed"] = false }
                fields[index] = .object(field)
            }
            let patch = String(decoding: try ContentJSONForTests.data(["fields": .array(fields)]), as: UTF8.self)
            let changed = try await cms.client.json("/v1/content/types/products", .patch, token: cms.admin, body: patch, headers: [.ifMatch: type.headers[.eTag] ?? ""])
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(try await titles(cms, "filter=maker:acme") == ["Hammer", "Drill"])
            #expect(try await cms.get("/v1/content/products/published?sort=price").status == .badRequest)

            // A localised field cannot be indexed: each locale would need its own order.
            let localised = #"{"name":"L","api_id":"localised","locales":["en","fr"],"fields":[{"name":"title","kind":"text","localised":true,"indexed":true}]}"#
            let refused = try await cms.client.json("/v1/content/types", .post, token: cms.admin, body: localised)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.problemFields() == ["fields[0].indexed"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func whatTheIndexCannotAnswerIsA400(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await CMS.with(engine: engine, clock: clock) { cms in
            _ = try await stock(cms, clock: clock)
            let priceCursor = try await cms.get("/v1/content/products/published?sort=price&limit=1").json().string("next_cursor")
            let idCursor = try await cms.get("/v1/content/products/published?limit=1").json().string("next_cursor")
            for query in [
                "filter=maker:acme", "filter=title:Kite", "filter=nope:1", "filter=price:cheap", "filter=price:inf", "filter=featured:yes",
                "filter=category:food", "filter=released:yesterday", "filter=category", "sort=maker", "sort=nope", "sort=--price",
                "filter=" + Array(repeating: "price:1", count: 9).joined(separator: ","),
                "sort=-price&cursor=\(priceCursor)", "sort=price&cursor=\(idCursor)", "cursor=\(priceCursor)", "sort=price&cursor=abc",
                "sort=price&cursor=W10", "sort=-published_at&cursor=\(priceCursor)",
            ] {
                let response = try await cms.get("/v1/content/products/published?\(query)")
                #expect(response.status == .badRequest, "\(query): \(response.status) \(response.text)")
            }
        }
    }
}

/// JSON bytes as the module stores them, for test bodies built from values.
enum ContentJSONForTests {
    static func data(_ value: JSONValue) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(value)
    }
}
