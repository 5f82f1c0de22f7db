import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AccessTests {
    /// Routes anyone may call.
    static let publicRoutes: Set<String> = [
        "GET /", "GET /health/live", "GET /health/ready", "GET /metrics", "GET /v1/openapi.json", "GET /.well-known/jwks.json",
        "POST /v1/auth/register", "POST /v1/auth/login", "POST /v1/auth/refresh",
    ]
    /// Routes only admins may call.
    static let adminRoutes: Set<String> = ["GET /v1/users", "GET /v1/users/{id}", "PATCH /v1/users/{id}", "DELETE /v1/users/{id}"]

    @Test func everyNonPublicRouteRefusesAMissingTokenAndAdminRoutesRefuseAViewer() async throws {
        try await TestServer.withServer(modules: []) { server, client in
            let viewer = try await client.signedIn("viewer@example.com", server: server)
            let routes = try server.makeRouter().routes.map { (method: $0.method, path: $0.path.description) }
            #expect(routes.count > 15)
            for route in routes where route.method != .head {
                let name = "\(route.method.rawValue) \(route.path)"
                let uri = route.path.replacingOccurrences(of: "{id}", with: "some-id")
                let anonymous = try await client.json(uri, route.method)
                if Self.publicRoutes.contains(name) {
                    #expect(anonymous.status != .unauthorized, "\(name) should be public")
                } else {
                    #expect(anonymous.status == .unauthorized, "\(name) answered \(anonymous.status) without a token")
                }
                if Self.adminRoutes.contains(name) {
                    let asViewer = try await client.json(uri, route.method, token: viewer.accessToken, body: "{}")
                    #expect(asViewer.status == .forbidden, "\(name) answered \(asViewer.status) to a viewer")
                }
            }
        }
    }

    /// A deployment never loses its last admin: they cannot demote, disable or delete themselves.
    @Test(arguments: DatabaseEngine.allCases)
    func theLastAdminCannotDemoteDisableOrDeleteThemselves(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, client in
            let root = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            let rootID = try await client.json("/v1/auth/me", .get, token: root.accessToken).decoded(User.self).id
            for body in [#"{"roles":["viewer"]}"#, #"{"disabled":true}"#] {
                #expect(try await client.json("/v1/users/\(rootID)", .patch, token: root.accessToken, body: body).status == .conflict)
            }
            #expect(try await client.json("/v1/users/\(rootID)", .delete, token: root.accessToken).status == .conflict)
            #expect(try await client.json("/v1/auth/me", .get, token: root.accessToken).decoded(User.self).roles == [.admin])
            // With a second admin, the first may step down.
            let other = try await client.signedIn("second@example.com", roles: [.admin], server: server)
            _ = other
            #expect(try await client.json("/v1/users/\(rootID)", .patch, token: root.accessToken, body: #"{"roles":["editor"]}"#).status == .ok)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func adminsManageUsersAndADisabledUsersSessionsEndAtOnce(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let ada = try await client.signedIn("ada@example.com", server: server)
            let adaID = try await client.json("/v1/auth/me", .get, token: ada.accessToken).decoded(User.self).id

            struct Users: Decodable { let items: [User]; let nextCursor: String? }
            let firstPage = try await client.json("/v1/users?limit=1", .get, token: admin.accessToken).decoded(Users.self)
            #expect(firstPage.items.count == 1)
            let cursor = try #require(firstPage.nextCursor)
            let secondPage = try await client.json("/v1/users?limit=1&cursor=\(cursor)", .get, token: admin.accessToken).decoded(Users.self)
            #expect(secondPage.items.count == 1 && secondPage.items[0].id != firstPage.items[0].id)
            #expect(secondPage.nextCursor == nil)
            #expect(try await client.json("/v1/users?limit=0", .get, token: admin.accessToken).status == .badRequest)

            let promoted = try await client.json("/v1/users/\(adaID)", .patch, token: admin.accessToken, body: #"{"roles":["editor","author"]}"#)
            #expect(try promoted.decoded(User.self).roles == [.editor, .author])
            #expect(try await client.json("/v1/users/\(adaID)", .patch, token: admin.accessToken, body: #"{"roles":["owner"]}"#).status == .unprocessableContent)

            let relogged = try await client.login("ada@example.com")
            // /me was answered (and cached) with the old roles before; the change reached the cache.
            #expect(try await client.json("/v1/auth/me", .get, token: relogged.accessToken).decoded(User.self).roles == [.editor, .author])
            let disabled = try await client.json("/v1/users/\(adaID)", .patch, token: admin.accessToken, body: #"{"disabled":true}"#)
            #expect(try disabled.decoded(User.self).disabled)
            #expect(try await client.json("/v1/auth/me", .get, token: relogged.accessToken).status == .unauthorized)
            #expect(try await SessionTests.refresh(client, relogged.refreshToken).status == .unauthorized)
            let refused = try await client.json("/v1/auth/login", .post, body: #"{"email":"ada@example.com","password":"correct horse"}"#)
            #expect(refused.status == .unauthorized)

            #expect(try await client.json("/v1/users/\(adaID)", .delete, token: admin.accessToken).status == .noContent)
            #expect(try await client.json("/v1/users/\(adaID)", .get, token: admin.accessToken).status == .notFound)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anAPIKeyActsForItsOwnerWithinItsScopes(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let viewer = try await client.signedIn("viewer@example.com", server: server)
            struct Created: Decodable { let id: String; let key: String; let prefix: String; let scopes: [String] }

            let created = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"ci","scopes":["account.self"]}"#)
            #expect(created.status == .created)
            let key = try created.decoded(Created.self)
            #expect(key.key.hasPrefix("apus_") && key.key.hasPrefix(key.prefix))
            #expect(try await client.json("/v1/auth/me", .get, token: key.key).decoded(User.self).email == "admin@example.com")
            // The owner is an admin, but the key was not given that scope.
            #expect(try await client.json("/v1/users", .get, token: key.key).status == .forbidden)
            // And a key cannot mint a key with more than it has.
            #expect(try await client.json("/v1/api-keys", .post, token: key.key, body: #"{"name":"x","scopes":["users.manage"]}"#).status == .forbidden)

            let adminKey = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"ops","scopes":["users.manage"]}"#).decoded(Created.self)
            #expect(try await client.json("/v1/users", .get, token: adminKey.key).status == .ok)

            #expect(try await client.json("/v1/api-keys", .post, token: viewer.accessToken, body: #"{"name":"x","scopes":["users.manage"]}"#).status == .forbidden)
            #expect(try await client.json("/v1/api-keys", .post, token: viewer.accessToken, body: #"{"name":"x","scopes":["nope"]}"#).status == .unprocessableContent)
            #expect(try await client.json("/v1/api-keys", .post, token: viewer.accessToken, body: #"{"name":"x","scopes":["account.self"],"expires_at":"2001-01-01T00:00:00Z"}"#).status == .unprocessableContent)

            struct Keys: Decodable { let items: [APIKey] }
            let listed = try await client.json("/v1/api-keys", .get, token: admin.accessToken).decoded(Keys.self).items
            #expect(Set(listed.map(\.name)) == ["ci", "ops"])
            #expect(listed.first { $0.name == "ci" }?.lastUsedAt != nil)
            #expect(!String(buffer: try await client.json("/v1/api-keys", .get, token: admin.accessToken).body).contains(key.key))
            #expect(try await client.json("/v1/api-keys/\(key.id)", .delete, token: viewer.accessToken).status == .notFound)
            #expect(try await client.json("/v1/api-keys/\(key.id)", .delete, token: admin.accessToken).status == .noContent)
            #expect(try await client.json("/v1/auth/me", .get, token: key.key).status == .unauthorized)
            #expect(try await client.json("/v1/auth/logout", .post, token: adminKey.key).status == .forbidden)
            let sessionKey = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"s","scopes":["account.self"]}"#).decoded(Created.self)
            #expect(try await client.json("/v1/auth/logout", .post, token: sessionKey.key).status == .forbidden)
        }
    }
}
