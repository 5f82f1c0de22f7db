@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A module with a route on its way out and the route that replaces it.
struct RetiringModule: Module {
    let name = "retiring"

    func start(_ platform: Platform) throws -> ModuleParts {
        let routes = RouteCollection(context: ApusRequestContext.self)
        routes.group("/v1/retiring/old")
            .add(middleware: DeprecatedRoute(
                since: Date(timeIntervalSince1970: 1_798_761_600), sunset: Date(timeIntervalSince1970: 1_830_297_600),
                successor: "/v1/retiring/new", metrics: platform.metrics
            ))
            .get("/{id}") { _, context -> String in
                guard try context.parameters.require("id") == "1" else { throw Problem.notFound("No such thing.") }
                return "old"
            }
        routes.get("/v1/retiring/new/{id}") { _, _ in "new" }
        return ModuleParts(routes: routes)
    }
}

@Suite struct DeprecatedRouteTests {
    @Test func aDeprecatedRouteSaysSoAndWhatReplacesItAndIsCounted() async throws {
        try await TestServer.withNode(modules: [RetiringModule()]) { _, client in
            let old = try await client.execute(uri: "/v1/retiring/old/1", method: .get)
            #expect(old.status == .ok)
            #expect(old.headers[.deprecation] == "@1798761600")
            #expect(old.headers[.sunset] == "Sat, 01 Jan 2028 00:00:00 GMT")
            #expect(old.headers[.link] == "</v1/retiring/new>; rel=\"successor-version\"")
            // Errors of the route say it too.
            let missing = try await client.execute(uri: "/v1/retiring/old/2", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.deprecation] == "@1798761600")
            let new = try await client.execute(uri: "/v1/retiring/new/1", method: .get)
            #expect(new.headers[.deprecation] == nil)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"apus_deprecated_requests_total{route="/v1/retiring/old/{id}"} 2"#), "\(metrics.split(separator: "\n").filter { $0.contains("deprecated") })")
        }
    }
}
