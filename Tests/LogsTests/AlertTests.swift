@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Logs
import Testing

/// Alert rules through their API, their counts taken with each push, and their firing as
/// `logs.alert.fired` through the outbox, on both engines.
@Suite struct AlertTests {
    struct Created: Decodable { let id: String; let window: String; let cooldown: String; let threshold: Int }
    struct Fired: Decodable { let id: String; let count: Int; let threshold: Int; let tenant: String }

    static let quiet = Settings(["APUS_LOGS_ALERT_EVERY": "1000000000", "APUS_LOGS_COMPACT_EVERY": "1000000000", "APUS_LOGS_RETENTION_EVERY": "1000000000"])

    static func firings(_ server: ApusServer) async throws -> [(owner: String?, payload: Fired)] {
        try await server.platform.database.read { sql in
            try await sql.raw("SELECT owner_id, payload FROM apus_events WHERE type = 'logs.alert.fired' ORDER BY id").all().map { row in
                (try row.decode(column: "owner_id", as: String?.self), try JSONDecoder().decode(Fired.self, from: Data(try row.decode(column: "payload", as: String.self).utf8)))
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func rulesAreMadeListedAndRemovedByWhoMayAndRefusedNamingEachBadField(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], configure: { $0.settings = Self.quiet }) { server, client in
            let editor = try await client.signedIn("editor@example.com", roles: [.editor], server: server)
            let viewer = try await client.signedIn("viewer@example.com", roles: [.viewer], server: server)
            let body = #"{"name":"errors","query":"{app=\"api\"} |= \"error\"","window":"5m","threshold":10}"#
            let made = try await client.json("/v1/logs/alerts", .post, token: editor.accessToken, body: body)
            #expect(made.status == .created)
            let rule = try made.decoded(Created.self)
            #expect((rule.window, rule.cooldown, rule.threshold) == ("300s", "900s", 10))
            #expect(made.headers[.location] == "/v1/logs/alerts/\(rule.id)")
            #expect(try await client.json("/v1/logs/alerts", .post, token: editor.accessToken, body: body).status == .conflict)
            #expect(try await client.json("/v1/logs/alerts", .post, token: viewer.accessToken, body: body).status == .forbidden)
            #expect(try await client.json("/v1/logs/alerts", .post, body: body).status == .unauthorized)

            let bad = try await client.json("/v1/logs/alerts", .post, token: editor.accessToken, body: #"{"name":"","query":"rate({a=\"b\"}[1m])","window":"5","threshold":0,"cooldown":"x"}"#)
            #expect(bad.status == .unprocessableContent)
            let fields = try bad.decoded(ProblemBody.self).errors?.map(\.field) ?? []
            #expect(Set(fields) == ["name", "query", "window", "threshold", "cooldown"])
            let unparsed = try await client.json("/v1/logs/alerts", .post, token: editor.accessToken, body: #"{"name":"x","query":"{a=","window":"1m","threshold":1}"#)
            #expect(unparsed.status == .unprocessableContent && String(buffer: unparsed.body).contains("is not LogQL"))

            let nul = try await client.json("/v1/logs/alerts", .post, token: editor.accessToken, body: #"{"name":"n","query":"{app=\"a\u0000\"}","window":"1m","threshold":1}"#)
            #expect(nul.status == .unprocessableContent)

            let listed = try await client.json("/v1/logs/alerts", .get, token: editor.accessToken)
            #expect(String(buffer: listed.body).contains(rule.id))
            // Another user's list does not hold it, nor can they read or remove it.
            let other = try await client.signedIn("other@example.com", roles: [.editor], server: server)
            #expect(!String(buffer: try await client.json("/v1/logs/alerts", .get, token: other.accessToken).body).contains(rule.id))
            #expect(try await client.json("/v1/logs/alerts/\(rule.id)", .get, token: other.accessToken).status == .notFound)
            #expect(try await client.json("/v1/logs/alerts/\(rule.id)", .delete, token: other.accessToken).status == .notFound)
            #expect(try await client.json("/v1/logs/alerts/\(rule.id)", .get, token: editor.accessToken).status == .ok)
            #expect(try await client.json("/v1/logs/alerts/\(rule.id)", .delete, token: editor.accessToken).status == .noContent)
            #expect(try await client.json("/v1/logs/alerts/\(rule.id)", .get, token: editor.accessToken).status == .notFound)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anAlertFiresOnceItsWindowHoldsTheThresholdThenWaitsOutItsCooldown(_ engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], clock: clock, configure: { $0.settings = Self.quiet }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let adminID = try #require(try await server.identity.users.find(email: "admin@example.com")).id
            // A schedule's first run is due at start: let it pass, so only this test evaluates.
            #expect(try await firstRunDone("logs.alerts", on: server))
            let made = try await client.json(
                "/v1/logs/alerts", .post, token: admin.accessToken,
                body: #"{"name":"server errors","query":"{app=\"api\"} | json | status >= 500","window":"1m","threshold":3,"cooldown":"10m"}"#
            )
            let rule = try made.decoded(Created.self)
            let alerts = LogAlerts(storage: try server.platform.ownDatabase(for: LogsModule.name), platform: server.platform)
            func now() -> Int64 { Int64(clock.now().timeIntervalSince1970 * 1_000_000_000) }
            func push(_ statuses: [Int], app: String = "api") async throws {
                let time = now()
                let body = LokiAPITests.push([(["app": app], statuses.enumerated().map { (time - 1_000_000_000 + Int64($0), #"{"status": \#($1)}"#) })])
                #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body).status == .noContent)
            }

            try await push([200, 502, 200, 503])
            try await push([500], app: "web")
            #expect(try await alerts.evaluate(at: now()).isEmpty)
            try await push([504])
            #expect(try await alerts.evaluate(at: now()) == [rule.id])
            let fired = try await Self.firings(server)
            #expect(fired.count == 1)
            #expect(fired.first?.owner == adminID)
            let payload = try #require(fired.first?.payload)
            #expect(payload.count == 3 && payload.threshold == 3 && payload.tenant == adminID)

            // Still over, but cooling down; then the window has moved past the lines.
            try await push([500, 500, 500])
            #expect(try await alerts.evaluate(at: now()).isEmpty)
            clock.advance(by: 11 * 60)
            #expect(try await alerts.evaluate(at: now()).isEmpty)
            // New lines after the cool-down fire again.
            try await push([500, 501, 502])
            #expect(try await alerts.evaluate(at: now()) == [rule.id])
            let firedAgain = try await Self.firings(server)
            #expect(firedAgain.count == 2, "\(firedAgain.map { ($0.payload.count, $0.payload.id) })")
            let listed = String(buffer: try await client.json("/v1/logs/alerts/\(rule.id)", .get, token: admin.accessToken).body)
            #expect(listed.contains("last_fired_at"))

            // Counts a node added from a cached rule after it was removed go at the next evaluation.
            let storage = try server.platform.ownDatabase(for: LogsModule.name)
            try await storage.transaction { sql in try await AlertStore.add([1: 5], alert: "alr_gone", on: sql) }
            #expect(try await client.json("/v1/logs/alerts/\(rule.id)", .delete, token: admin.accessToken).status == .noContent)
            #expect(try await alerts.evaluate(at: now()).isEmpty)
            #expect(try await rowCount("logs_alert_counts", in: storage) == 0)
        }
    }
}

/// A problem's body, for its field errors.
struct ProblemBody: Decodable {
    struct FieldError: Decodable { let field: String }
    let errors: [FieldError]?
}
