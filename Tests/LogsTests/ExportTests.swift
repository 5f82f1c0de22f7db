import ApusCore
import ApusTesting
import Foundation
import HummingbirdTesting
@testable import Logs
import Synchronization
import Testing

/// `apus logs export`'s work: NDJSON records of what a selector picks, tenant by tenant in
/// time order, across the slices it reads.
@Suite struct ExportTests {
    struct Record: Decodable, Equatable {
        let tenant: String
        let timestamp: String
        let time: String
        let labels: [String: String]
        let line: String
        let metadata: [String: String]
    }

    @Test(arguments: DatabaseEngine.allCases)
    func recordsComeTenantByTenantInTimeOrderAcrossSlices(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let ada = try await client.signedIn("ada@example.com", roles: [.editor], server: server)
            let bob = try await client.signedIn("bob@example.com", roles: [.editor], server: server)
            // Lines 25 minutes apart: three slices of ten minutes.
            let base = LokiAPITests.now - 3_600_000_000_000
            let step: Int64 = 1_500_000_000_000
            let adaLines = LokiAPITests.push([
                (["app": "api"], [(base + 2 * step, "GET /c"), (base, "GET /a")]), (["app": "api", "level": "error"], [(base + step, "GET /b 500")]),
                (["app": "web"], [(base, "GET /w")]),
            ])
            #expect(try await client.json("/loki/api/v1/push", .post, token: ada.accessToken, body: adaLines).status == .noContent)
            let bobLines = LokiAPITests.push([(["app": "api"], [(base, "GET /bob"), (base + 1, "POST /bob")])])
            #expect(try await client.json("/loki/api/v1/push", .post, token: bob.accessToken, body: bobLines).status == .noContent)
            let adaID = try #require(try await server.identity.users.find(email: "ada@example.com")).id
            let bobID = try #require(try await server.identity.users.find(email: "bob@example.com")).id

            let export = try LogsExport(platform: server.platform)
            let written = Mutex<[String]>([])
            let fractions = Mutex<[Double]>([])
            let count = try await export.run(
                selector: #"{app="api"} |= "GET""#, from: String(base - 1), to: nil, tenant: nil,
                write: { line in written.withLock { $0.append(line) } }, progress: { value in fractions.withLock { $0.append(value) } }
            )
            let records = try written.withLock { $0 }.map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
            #expect(count == 4)
            let expected = [(adaID, "GET /a"), (adaID, "GET /b 500"), (adaID, "GET /c"), (bobID, "GET /bob")].sorted { $0.0 < $1.0 }
            // Tenants in order, each one's lines in time order.
            #expect(records.map(\.tenant) == expected.map(\.0).sorted())
            #expect(records.filter { $0.tenant == adaID }.map(\.line) == ["GET /a", "GET /b 500", "GET /c"])
            #expect(records.first { $0.line == "GET /b 500" }?.labels == ["app": "api", "level": "error"])
            #expect(records.allSatisfy { Int64($0.timestamp) != nil && $0.time.hasSuffix("Z") })
            #expect(fractions.withLock { $0.last } == 1)
            #expect(fractions.withLock { $0 } == fractions.withLock { $0 }.sorted())

            // One tenant only.
            let bobs = Mutex<Int>(0)
            _ = try await export.run(selector: #"{app=~".+"}"#, from: String(base - 1), to: nil, tenant: bobID, write: { _ in bobs.withLock { $0 += 1 } })
            #expect(bobs.withLock { $0 } == 2)
            // Refusals name the option.
            for (selector, from, to) in [("{app=", nil, nil), (#"rate({a="b"}[1m])"#, nil, nil), (#"{a="b"}"#, "yesterday", nil), (#"{a="b"}"#, "200", "100")] as [(String, String?, String?)] {
                await #expect(throws: Problem.self, "\(selector) \(from ?? "") \(to ?? "")") {
                    _ = try await export.run(selector: selector, from: from, to: to, tenant: nil, write: { _ in })
                }
            }
        }
    }
}
