import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Links
import Prometheus
import Testing

@Suite struct ClickStatsTests {
    struct Stats: Decodable {
        struct Point: Decodable { let at: String; let clicks: Int }
        struct Share: Decodable, Equatable { let name: String; let clicks: Int }
        let clicks: Int
        let uniqueVisitors: Int
        let bots: Int
        let series: [Point]
        let referrers: [Share]
        let browsers: [Share]
        let devices: [Share]
        let countries: [Share]
    }

    static let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"
    static let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"

    @Test(arguments: DatabaseEngine.allCases)
    func statsCountHumansByTimeSourceAndDeviceLeavingBotsOut(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LinksModule()], configure: {
            $0.publicURL = "https://sho.rt"
            $0.settings = Settings(["APUS_LINKS_COUNTRY_HEADER": "CF-IPCountry"])
        }) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let link = try await client.shorten(#"{"url":"https://e.com"}"#, token: ada.accessToken).decoded(CreatedLink.self)
            let country = HTTPField.Name("CF-IPCountry")!
            for _ in 0..<3 {
                _ = try await client.follow(link.code, headers: [.userAgent: Self.iphone, .referer: "https://news.example/item?id=1", country: "de"])
            }
            _ = try await client.follow(link.code, headers: [.userAgent: Self.firefox, .referer: "https://blog.example/", country: "FR"])
            _ = try await client.follow(link.code, headers: [.userAgent: "Googlebot/2.1"])
            _ = try await client.execute(uri: "/\(link.code)", method: .head, headers: [.userAgent: Self.firefox])
            // The buffer writes clicks every second.
            func currentStats() async throws -> Stats {
                try await client.json("/v1/links/\(link.code)/stats?interval=hour", .get, token: ada.accessToken).decoded(Stats.self)
            }
            try await expectEventually { let now = try await currentStats(); return now.clicks + now.bots >= 5 }
            let stats = try await currentStats()
            #expect(stats.clicks == 4)
            #expect(stats.bots == 1)
            // Same address, two user agents: two visitors today.
            #expect(stats.uniqueVisitors == 2)
            #expect(stats.series.map(\.clicks) == [4])
            #expect(stats.series.first?.at.hasSuffix(":00:00Z") == true)
            #expect(stats.referrers == [.init(name: "news.example", clicks: 3), .init(name: "blog.example", clicks: 1)])
            #expect(stats.browsers == [.init(name: "Safari", clicks: 3), .init(name: "Firefox", clicks: 1)])
            #expect(stats.devices == [.init(name: "mobile", clicks: 3), .init(name: "desktop", clicks: 1)])
            #expect(stats.countries == [.init(name: "DE", clicks: 3), .init(name: "FR", clicks: 1)])

            let daily = try await client.json("/v1/links/\(link.code)/stats", .get, token: ada.accessToken).decoded(Stats.self)
            #expect(daily.series.count == 1 && daily.series[0].at.hasSuffix("T00:00:00Z"))
            let future = Timestamp.format(Date().addingTimeInterval(86_400))
            let empty = try await client.json("/v1/links/\(link.code)/stats?from=\(future)&to=\(Timestamp.format(Date().addingTimeInterval(2 * 86_400)))", .get, token: ada.accessToken)
            #expect(try empty.decoded(Stats.self).clicks == 0)
            #expect(try await client.json("/v1/links/\(link.code)/stats?interval=week", .get, token: ada.accessToken).status == .badRequest)

            let metrics = String(buffer: try await client.json("/metrics", .get).body)
            #expect(metrics.contains("apus_links_redirects_total 6"))
            #expect(metrics.contains("apus_links_clicks_flushed_total 5"))
            #expect(metrics.contains(#"apus_cache_hits_total{cache="links.redirects"}"#))
        }
    }

    @Test func aFullBufferShedsAndCountsInsteadOfGrowing() async throws {
        try await TestDatabase.withDatabase(.sqlite) { database async throws in
            let registry = PrometheusCollectorRegistry()
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let buffer = ClickBuffer(platform: platform, secrets: LinksSecrets(platform: platform), metrics: registry, logger: TestDatabase.logger, capacity: 3, batchSize: 100)
            let click = Click(code: "c", at: Date(), referrer: nil, userAgent: nil, address: "192.0.2.1", country: nil)
            #expect((0..<5).map { _ in buffer.record(click) } == [true, true, true, false, false])
            #expect(registry.emitToString().contains("apus_links_clicks_dropped_total 2"))
        }
    }
}
