@_spi(Platform) import ApusCore
import ApusModules
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Links
import Testing

/// What a module declares without running (its events, its root path segments) holds on every
/// node, whichever modules it runs.
@Suite struct ModuleDeclarationTests {
    /// A shipped module that serves `/feeds/...` outside `/v1`.
    struct FeedsModule: Module {
        let name = "feeds"
        var rootSegments: [String] { ["feeds"] }

        func start(_ platform: Platform) throws -> ModuleParts {
            let routes = RouteCollection(context: ApusRequestContext.self)
            routes.get("/feeds/latest") { _, _ in "[]" }
            return ModuleParts(publicRoutes: routes)
        }
    }

    @Test func anAliasMayNotTakeARootSegmentOfAModuleThisNodeDoesNotRun() async throws {
        try await TestServer.withNode(modules: [LinksModule(), FeedsModule()], configure: { $0.modules = ["links"] }) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let taken = try await client.json("/v1/links", .post, token: ada.accessToken, body: #"{"url":"https://e.com","alias":"Feeds"}"#)
            #expect(taken.status == .unprocessableContent)
            let free = try await client.json("/v1/links", .post, token: ada.accessToken, body: #"{"url":"https://e.com","alias":"feedz"}"#)
            #expect(free.status == .created)
        }
    }

    @Test func aWebhookForAnEventNoShippedModuleEmitsIsRefusedNamingIt() async throws {
        try await TestServer.withNode(modules: ShippedModules.all(), configure: { $0.modules = ["notifications"] }) { server, client in
            let ada = try await client.signedIn("ada@example.com", roles: [.admin], server: server)
            func subscribe(_ types: String) async throws -> TestResponse {
                try await client.json("/v1/webhooks/endpoints", .post, token: ada.accessToken, body: #"{"url":"https://hooks.example/in","event_types":\#(types)}"#)
            }
            let refused = try await subscribe(#"["links.link.created","links.link.clicked","nosuch.*"]"#)
            #expect(refused.status == .unprocessableContent)
            let detail = String(buffer: refused.body)
            #expect(detail.contains("links.link.clicked") && detail.contains("nosuch.*") && !detail.contains("unknown event type links.link.created"))
            // Links does not run on this node, but ships: its events are known.
            for types in [#"["links.link.created"]"#, #"["links.*"]"#, #"["*"]"#, #"["inventory.order.paid","identity.user.deleted"]"#] {
                #expect(try await subscribe(types).status == .created, "\(types)")
            }
            struct Endpoint: Decodable { let id: String }
            let endpoint = try await subscribe(#"["*"]"#).decoded(Endpoint.self)
            let patched = try await client.json("/v1/webhooks/endpoints/\(endpoint.id)", .patch, token: ada.accessToken, body: #"{"event_types":["uploads.file.deleted"]}"#)
            #expect(patched.status == .unprocessableContent)
        }
    }

    @Test func emittingAnEventNoModuleDeclaresFailsAndWritesNothing() async throws {
        try await TestServer.withNode(modules: ShippedModules.all()) { server, _ in
            await #expect(throws: UndeclaredEvent.self) {
                try await server.platform.transaction { transaction in
                    try await transaction.emit("links.link.clicked", aggregate: "abc", json: ["code": "abc"])
                }
            }
            let written = try await server.platform.read { try await $0.raw("SELECT count(*) AS n FROM apus_events").first()!.decode(column: "n", as: Int.self) }
            #expect(written == 0)
        }
    }

    @Test func theDocumentListsEveryDeclaredEventUnderWebhooksAndTheREADMEDoesToo() async throws {
        try await TestDatabase.withDatabase(.sqlite) { database in
        let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
        let server = try ApusServer(platform: platform, available: ShippedModules.all())
        let declared = platform.eventTypes.all.map(\.type)
        #expect(declared.contains("links.link.created") && declared.contains("identity.user.deleted") && declared.contains("uploads.upload.completed"))
        guard case .object(let webhooks)? = try server.openAPIDocument()["webhooks"] else {
            Issue.record("the document has no webhooks")
            return
        }
        #expect(webhooks.keys.sorted() == declared)
        let readme = try String(contentsOf: ModuleContractTests.repository.appendingPathComponent("README.md"), encoding: .utf8)
        for type in declared {
            #expect(readme.contains("| `\(type)` |"), "README.md does not list the event \(type)")
        }
        }
    }

    @Test func theREADMEListsEveryProblemTypeTheDocumentDoes() throws {
        let fragments = ShippedModules.all().map(\.openAPI)
        let document = try OpenAPIDocument.build(version: "1", fragments: fragments)
        guard case .array(let listed)? = document["components"]?["schemas"]?["Problem"]?["properties"]?["type"]?["enum"] else {
            Issue.record("the Problem schema's type lists no kinds")
            return
        }
        #expect(listed.count == ProblemType.platform.count + fragments.flatMap(\.problemTypes).count)
        let readme = try String(contentsOf: ModuleContractTests.repository.appendingPathComponent("README.md"), encoding: .utf8)
        for case .string(let type) in listed {
            #expect(readme.contains("| `\(type)` |"), "README.md does not list the problem type \(type)")
        }
        for module in ShippedModules.all() {
            for type in module.openAPI.problemTypes {
                #expect(type.uri.hasPrefix("urn:apus:problem:\(module.name):"), "\(type.uri) is not under \(module.name).")
            }
        }
    }

    @Test func everyDeclaredEventAndRootSegmentCarriesItsModulesName() {
        for module in ShippedModules.all() {
            for event in module.events {
                #expect(event.type.hasPrefix(module.name + "."), "\(event.type) is not under \(module.name).")
            }
            for segment in module.rootSegments {
                #expect(!segment.isEmpty && !segment.contains("/"), "\(module.name) declares the root segment '\(segment)'")
            }
        }
    }
}
