import ApusCore
import ApusTesting
@testable import Content
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A node running Content with one account of each role, and helpers that speak its API.
struct CMS: Sendable {
    let server: ApusServer
    let client: any TestClientProtocol
    let admin: String
    let editor: String
    let author: String
    let otherAuthor: String
    let viewer: String

    static func with<Result: Sendable>(
        engine: DatabaseEngine,
        clock: TestClock? = nil,
        settings: [String: String] = [:],
        _ body: @Sendable (CMS) async throws -> Result
    ) async throws -> Result {
        try await TestServer.withNode(engine: engine, modules: [ContentModule()], clock: clock, configure: {
            $0.settings = Settings(settings)
            $0.publicURL = "https://site.example"
            $0.defaultRateLimit = RateLimitPolicy(name: "default", limit: 1_000_000, window: 60)
        }) { server, client in
            let cms = CMS(
                server: server, client: client,
                admin: try await client.signedIn("admin@example.com", roles: [.admin], server: server).accessToken,
                editor: try await client.signedIn("editor@example.com", roles: [.editor], server: server).accessToken,
                author: try await client.signedIn("author@example.com", roles: [.author], server: server).accessToken,
                otherAuthor: try await client.signedIn("other@example.com", roles: [.author], server: server).accessToken,
                viewer: try await client.signedIn("viewer@example.com", roles: [.viewer], server: server).accessToken
            )
            return try await body(cms)
        }
    }

    /// The blog type most tests use: a localised title and body, a slug made from the title, a
    /// category shared by every locale, public, in English and French.
    static let blog = #"""
        {"name":"Blog post","api_id":"posts","public":true,"url_pattern":"/blog/{slug}","locales":["en","fr"],
         "fields":[{"name":"title","kind":"text","required":true,"localised":true},
                   {"name":"slug","kind":"slug","from":"title","localised":true},
                   {"name":"body","kind":"rich_text","localised":true},
                   {"name":"category","kind":"enum","values":["news","guides"]},
                   {"name":"meta","kind":"json"}]}
        """#

    @discardableResult
    func type(_ definition: String = CMS.blog) async throws -> JSONValue {
        let response = try await client.json("/v1/content/types", .post, token: admin, body: definition)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try response.json()
    }

    /// Creates an entry as `token` (the author by default) and returns it.
    func entry(_ body: String, type: String = "posts", locale: String? = nil, token: String? = nil) async throws -> JSONValue {
        let query = locale.map { "?locale=\($0)" } ?? ""
        let response = try await client.json("/v1/content/\(type)/entries\(query)", .post, token: token ?? author, body: body)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try response.json()
    }

    /// Saves `body` under the entry's current version.
    func save(_ entry: JSONValue, _ body: String, type: String = "posts", locale: String? = nil, autosave: Bool = false, token: String? = nil) async throws -> TestResponse {
        var query: [String] = []
        if let locale { query.append("locale=\(locale)") }
        if autosave { query.append("autosave=true") }
        let path = "/v1/content/\(type)/entries/\(entry.string("id"))" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return try await client.json(path, .patch, token: token ?? author, body: body, headers: [.ifMatch: "\"\(entry.int("version"))\""])
    }

    func move(_ entry: JSONValue, _ transition: String, type: String = "posts", token: String? = nil) async throws -> TestResponse {
        try await client.json("/v1/content/\(type)/entries/\(entry.string("id"))/\(transition)", .post, token: token ?? editor)
    }

    func get(_ path: String, token: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await client.json(path, .get, token: token, headers: headers)
    }
}

extension TestResponse {
    /// The body as JSON, keys exactly as sent.
    func json() throws -> JSONValue { try JSONValue(parsing: Array(body.readableBytesView)) }

    var text: String { String(buffer: body) }

    /// The `field`s a problem's `errors` name.
    func problemFields() throws -> [String] {
        guard case .array(let errors)? = try json()["errors"] else { return [] }
        return errors.compactMap { error in
            if case .string(let field)? = error["field"] { return field }
            return nil
        }
    }
}

extension JSONValue {
    func string(_ key: String) -> String {
        if case .string(let text)? = self[key] { return text }
        return ""
    }

    func int(_ key: String) -> Int {
        if case .number(let number)? = self[key] { return Int(number) }
        return -1
    }

    var items: [JSONValue] {
        if case .array(let items)? = self["items"] { return items }
        return []
    }
}
