import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct ContentTypeTests {
    @Test(arguments: DatabaseEngine.allCases)
    func adminsDefineTypesAndStaffReadThem(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            let type = try await cms.type()
            #expect(type.string("api_id") == "posts")
            #expect(type["public"] == true)
            #expect(type.string("default_locale") == "en")
            #expect(try await cms.client.json("/v1/content/types", .post, token: cms.editor, body: CMS.blog).status == .forbidden)
            #expect(try await cms.client.json("/v1/content/types", .post, body: CMS.blog).status == .unauthorized)
            #expect(try await cms.client.json("/v1/content/types", .post, token: cms.admin, body: CMS.blog).status == .conflict)
            let read = try await cms.get("/v1/content/types/posts", token: cms.viewer)
            #expect(read.status == .ok)
            #expect(read.headers[.eTag] == "\"1\"")
            #expect(try read.json()["fields"].map { value -> Int in if case .array(let fields) = value { fields.count } else { 0 } } == 5)
            #expect(try await cms.get("/v1/content/types", token: cms.author).json().items.count == 1)
            #expect(try await cms.get("/v1/content/types").status == .unauthorized)
            #expect(try await cms.get("/v1/content/types/nothing", token: cms.viewer).status == .notFound)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func badDefinitionsAreRefusedNamingEveryMistake(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            let cases: [(String, String)] = [
                (#"{"name":"x","api_id":"types"}"#, "api_id"),
                (#"{"name":"x","api_id":"search"}"#, "api_id"),
                (#"{"name":"x","api_id":"Bad Id"}"#, "api_id"),
                (#"{"name":"","api_id":"x"}"#, "name"),
                (#"{"name":"x","api_id":"x","fields":[{"name":"status","kind":"text"}]}"#, "fields[0].name"),
                (#"{"name":"x","api_id":"x","fields":[{"name":"a","kind":"text"},{"name":"a","kind":"number"}]}"#, "fields[1].name"),
                (#"{"name":"x","api_id":"x","fields":[{"name":"e","kind":"enum"}]}"#, "fields[0].values"),
                (#"{"name":"x","api_id":"x","fields":[{"name":"s","kind":"slug","from":"n"},{"name":"n","kind":"number"}]}"#, "fields[0].from"),
                (#"{"name":"x","api_id":"x","url_pattern":"/x/{slug}"}"#, "url_pattern"),
                (#"{"name":"x","api_id":"x","url_pattern":"/x/{title}"}"#, "url_pattern"),
                (#"{"name":"x","api_id":"x","locales":["en","en"]}"#, "locales"),
                (#"{"name":"x","api_id":"x","locales":["en"],"default_locale":"fr"}"#, "default_locale"),
                (#"{"name":"x","api_id":"x","fields":[{"name":"b","kind":"boolean","unique":true}]}"#, "fields[0].unique"),
            ]
            for (body, field) in cases {
                let response = try await cms.client.json("/v1/content/types", .post, token: cms.admin, body: body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(try response.problemFields().contains(field), "\(body): \(response.text)")
            }
            // Every mistake at once.
            let many = try await cms.client.json("/v1/content/types", .post, token: cms.admin, body: #"{"name":"","api_id":"types"}"#)
            #expect(try many.problemFields().sorted() == ["api_id", "name"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aChangeThatWouldBreakEntriesIsRefusedNamingThem(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let first = try await cms.entry(#"{"title":"Hello","category":"news"}"#)
            let second = try await cms.entry(#"{"title":"Other"}"#)
            let withRequiredCategory = #"""
                {"fields":[{"name":"title","kind":"text","required":true,"localised":true},
                           {"name":"slug","kind":"slug","from":"title","localised":true},
                           {"name":"body","kind":"rich_text","localised":true},
                           {"name":"category","kind":"enum","values":["news","guides"],"required":true},
                           {"name":"meta","kind":"json"}]}
                """#
            #expect(try await cms.client.json("/v1/content/types/posts", .patch, token: cms.admin, body: withRequiredCategory).status == .preconditionRequired)
            let refused = try await cms.client.json("/v1/content/types/posts", .patch, token: cms.admin, body: withRequiredCategory, headers: [.ifMatch: "\"1\""])
            #expect(refused.status == .conflict)
            #expect(try refused.problemFields() == ["entries/\(second.string("id"))"])
            // Narrowing the enum breaks the first entry instead.
            let narrower = withRequiredCategory.replacingOccurrences(of: #""values":["news","guides"],"required":true"#, with: #""values":["guides"]"#)
            let alsoRefused = try await cms.client.json("/v1/content/types/posts", .patch, token: cms.admin, body: narrower, headers: [.ifMatch: "\"1\""])
            #expect(try alsoRefused.problemFields() == ["entries/\(first.string("id"))"])
            // Adding an optional field is fine, and moves the type on.
            let added = withRequiredCategory.replacingOccurrences(of: #","required":true}"#, with: #"},{"name":"rating","kind":"number"}"#)
            let changed = try await cms.client.json("/v1/content/types/posts", .patch, token: cms.admin, body: added, headers: [.ifMatch: "\"1\""])
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(changed.headers[.eTag] == "\"2\"")
            #expect(try await cms.client.json("/v1/content/types/posts", .patch, token: cms.admin, body: added, headers: [.ifMatch: "\"1\""]).status == .preconditionFailed)
            let entry = try await cms.get("/v1/content/posts/entries/\(first.string("id"))", token: cms.viewer).json()
            #expect(entry["rating"] == .null)
        }
    }
}
