@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Notifications
import SQLKit
import Testing

/// The notification routes as a client sees them, on both engines.
@Suite struct NotificationRoutesTests {
    struct Me: Decodable { let id: String }
    struct Sent: Decodable { let id: String; let status: String }

    static func count(_ database: any Database, _ sql: String, _ user: String) async throws -> Int {
        try await database.read { connection in
            var query = SQLQueryString(sql)
            query.appendInterpolation(bind: user)
            return try await connection.raw(query).first()!.decode(column: "n", as: Int.self)
        }
    }

    /// Expects `condition` to hold soon: the change travels through the outbox, whose delivery
    /// on PostgreSQL waits for every older open transaction on the server.

    @Test(arguments: DatabaseEngine.allCases)
    func aDeletedUsersEndpointsInboxAndPreferencesGo(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [NotificationsModule()]) { server, client in
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            let ada = try await client.signedIn("ada@example.com", roles: [.editor], server: server)
            let adaID = try await client.json("/v1/auth/me", .get, token: ada.accessToken).decoded(Me.self).id
            #expect(try await client.json("/v1/webhooks/endpoints", .post, token: ada.accessToken, body: #"{"url":"https://hooks.example/in","event_types":["identity.user.disabled"]}"#).status == .created)
            #expect(try await client.json("/v1/users/me/notification-preferences", .put, token: ada.accessToken, body: #"{"categories":{"news":{"email":false}}}"#).status == .ok)
            let sent = try await client.json("/v1/notifications", .post, token: admin.accessToken, body: #"{"recipient":"\#(adaID)","channel":"in_app","body":"hello"}"#)
            #expect(sent.status == .accepted)
            let database = server.platform.database
            #expect(try await Self.count(database, "SELECT count(*) AS n FROM notifications_endpoints WHERE owner_id = ", adaID) == 1)

            #expect(try await client.json("/v1/users/\(adaID)", .delete, token: admin.accessToken).status == .noContent)
            try await expectEventually {
                try await Self.count(database, "SELECT count(*) AS n FROM notifications_endpoints WHERE owner_id = ", adaID) == 0
            }
            #expect(try await Self.count(database, "SELECT count(*) AS n FROM notifications_preferences WHERE user_id = ", adaID) == 0)
            #expect(try await Self.count(database, "SELECT count(*) AS n FROM notifications_notifications WHERE user_id = ", adaID) == 0)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRetryThatCannotReplayLeavesTheNotificationAsItWas(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [NotificationsModule()]) { server, client in
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            let adminID = try await client.json("/v1/auth/me", .get, token: admin.accessToken).decoded(Me.self).id
            let sent = try await client.json("/v1/notifications", .post, token: admin.accessToken, body: #"{"recipient":"\#(adminID)","channel":"in_app","body":"hi"}"#).decoded(Sent.self)
            try await expectEventually {
                try await client.json("/v1/notifications/\(sent.id)", .get, token: admin.accessToken).decoded(Sent.self).status == "delivered"
            }
            // Marked dead while its job is not: the replay cannot happen, so nothing may change.
            try await server.platform.database.write { connection in
                try await connection.raw("UPDATE notifications_notifications SET status = 'dead' WHERE id = \(bind: sent.id)").run()
            }
            #expect(try await client.json("/v1/notifications/\(sent.id)/retry", .post, token: admin.accessToken).status == .conflict)
            #expect(try await client.json("/v1/notifications/\(sent.id)", .get, token: admin.accessToken).decoded(Sent.self).status == "dead")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func ofConcurrentCreationsOfOneTemplateExactlyOneWins(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [NotificationsModule()], live: true) { server, client in
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.json("/v1/notification-templates", .post, token: admin.accessToken, body: #"{"name":"welcome","subject":"Hi","text_body":"Hello"}"#).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 7)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func onlyItsOwnerOrAnAdminChangesATemplate(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [NotificationsModule()]) { server, client in
            struct Template: Decodable { let subject: String; let ownerId: String? }
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            let ada = try await client.signedIn("ada@example.com", roles: [.editor], server: server)
            let bob = try await client.signedIn("bob@example.com", roles: [.editor], server: server)
            let adaID = try await client.json("/v1/auth/me", .get, token: ada.accessToken).decoded(Me.self).id
            let path = "/v1/notification-templates/welcome"
            let made = try await client.json("/v1/notification-templates", .post, token: ada.accessToken, body: #"{"name":"welcome","subject":"Hi","text_body":"Hello"}"#)
            #expect(try made.decoded(Template.self).ownerId == adaID)

            // Bob sees and may send with it, but cannot replace or delete it.
            #expect(try await client.json(path, .get, token: bob.accessToken).status == .ok)
            #expect(try await client.json(path, .put, token: bob.accessToken, body: #"{"subject":"Owned","text_body":"x"}"#).status == .forbidden)
            #expect(try await client.json(path, .delete, token: bob.accessToken).status == .forbidden)
            #expect(try await client.json(path, .get, token: bob.accessToken).decoded(Template.self).subject == "Hi")
            // A name nobody holds is Bob's to create with PUT.
            let bobs = try await client.json("/v1/notification-templates/bobs", .put, token: bob.accessToken, body: #"{"subject":"B","text_body":"b"}"#)
            #expect(bobs.status == .ok)
            #expect(try await client.json("/v1/notification-templates/bobs", .delete, token: ada.accessToken).status == .forbidden)

            // Its owner and an admin may; the owner stays the owner.
            #expect(try await client.json(path, .put, token: ada.accessToken, body: #"{"subject":"Hi again","text_body":"x"}"#).status == .ok)
            let edited = try await client.json(path, .put, token: admin.accessToken, body: #"{"subject":"By admin","text_body":"x"}"#)
            #expect(try edited.decoded(Template.self).ownerId == adaID)

            // When its owner is deleted the template stays, left to admins.
            #expect(try await client.json("/v1/users/\(adaID)", .delete, token: admin.accessToken).status == .noContent)
            try await expectEventually {
                try await client.json(path, .get, token: bob.accessToken).decoded(Template.self).ownerId == nil
            }
            #expect(try await client.json(path, .delete, token: bob.accessToken).status == .forbidden)
            #expect(try await client.json(path, .delete, token: admin.accessToken).status == .noContent)
            #expect(try await client.json(path, .delete, token: admin.accessToken).status == .notFound)
        }
    }

    /// An endpoint gets the events its owner could read through the API: its owner's own, or
    /// everyone's when the owner is an admin; an event about nobody in particular goes to admins'.
    @Test(arguments: DatabaseEngine.allCases)
    func anEndpointReceivesOnlyItsOwnersEventsUnlessAnAdminOwnsIt(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [NotificationsModule(), TestEventsModule()]) { server, client in
            struct Endpoint: Decodable { let id: String }
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            let ada = try await client.signedIn("ada@example.com", roles: [.editor], server: server)
            let eve = try await client.signedIn("eve@example.com", roles: [.editor], server: server)
            var ids: [String: String] = [:]
            var endpoints: [String: String] = [:]
            for (name, token) in [("admin", admin), ("ada", ada), ("eve", eve)] {
                ids[name] = try await client.json("/v1/auth/me", .get, token: token.accessToken).decoded(Me.self).id
                endpoints[name] = try await client.json("/v1/webhooks/endpoints", .post, token: token.accessToken,
                                                        body: #"{"url":"https://hooks.example/\#(name)","event_types":["test.*"]}"#).decoded(Endpoint.self).id
            }
            let (people, hooks) = (ids, endpoints)
            try await server.platform.transaction { transaction in
                try await transaction.emit("test.thing.created", aggregate: "a", json: ["secret": "ada's"], owner: people["ada"])
                try await transaction.emit("test.thing.created", aggregate: "e", json: ["secret": "eve's"], owner: people["eve"])
                try await transaction.emit("test.thing.created", aggregate: "n", json: ["secret": "nobody's"])
            }
            func received(_ name: String) async throws -> [String] {
                try await server.platform.database.read { connection in
                    try await connection.raw("""
                        SELECT data FROM notifications_notifications WHERE recipient = \(bind: hooks[name]!) ORDER BY id
                        """).all().map { try $0.decode(column: "data", as: String.self) }
                }
            }
            try await expectEventually { try await received("admin").count == 3 }
            #expect(try await received("ada").map { $0.contains("ada's") } == [true])
            #expect(try await received("eve").map { $0.contains("eve's") } == [true])
        }
    }

    /// A detail that quotes the client's value is cut short: half a megabyte is not echoed back.
    @Test func aProblemNeverEchoesAHugeValueBack() async throws {
        try await TestServer.withNode(modules: [NotificationsModule()]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let huge = String(repeating: "p", count: 500_000)
            let response = try await client.json("/v1/users/me/notification-preferences", .put, token: ada.accessToken, body: #"{"categories":{"news":{"\#(huge)":false}}}"#)
            #expect(response.status == .unprocessableContent)
            #expect(response.body.readableBytes < 4096)
        }
    }

    /// An endpoint the delivery guard would refuse is refused when registered, unless allowed.
    @Test func anEndpointAtAnInternalAddressIsRefusedAtRegistration() async throws {
        try await TestServer.withNode(modules: [NotificationsModule()], configure: { $0.settings = Settings(["APUS_EGRESS_ALLOW": "10.1.2.3"]) }) { server, client in
            let editor = try await client.signedIn("ed@example.com", roles: [.editor], server: server)
            // Numeric hosts as a URL parser reads them are loopback too.
            let numeric = ["http://017700000001/", "http://0x7f.1/", "http://2130706433/", "http://127.1/"]
            for url in ["http://127.0.0.1:9/in", "http://[::1]/in", "http://localhost/in", "http://169.254.169.254/latest", "http://10.0.0.8/in"] + numeric {
                let response = try await client.json("/v1/webhooks/endpoints", .post, token: editor.accessToken, body: #"{"url":"\#(url)","event_types":["*"]}"#)
                #expect(response.status == .unprocessableContent, "\(url)")
            }
            #expect(try await client.json("/v1/webhooks/endpoints", .post, token: editor.accessToken, body: #"{"url":"http://10.1.2.3/in","event_types":["*"]}"#).status == .created)
            #expect(try await client.json("/v1/webhooks/endpoints", .post, token: editor.accessToken, body: #"{"url":"https://hooks.example/in","event_types":["*"]}"#).status == .created)
        }
    }

    @Test func aProblemNamesNoSwiftType() async throws {
        try await TestServer.withNode(modules: [NotificationsModule()]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let response = try await client.json("/v1/users/me/notification-preferences", .put, token: ada.accessToken, body: #"{"categories":{"news":{"pigeon":false}}}"#)
            #expect(response.status == .unprocessableContent)
            let detail = String(buffer: response.body)
            #expect(detail.contains("pigeon"))
            #expect(!detail.contains("DeliveryChannel"))
        }
    }
}
