import Foundation
public import Hummingbird

/// A user's API keys under `/v1/api-keys`.
struct APIKeyRoutes {
    let identity: Identity
    /// Every permission the running node knows, by name.
    let permissions: [String: Permission]

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let keys = router.group("/v1/api-keys").add(middleware: NoStoreMiddleware()).add(middleware: RequirePermission(.ownAccount))
        keys.post { request, context -> Response in
            let principal = try context.require(.ownAccount)
            let body = try await request.decodeJSON(as: APIKeyRequest.self, context: context)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(name.count) else {
                throw Problem.unprocessable("The name must be 1-100 characters.", errors: [.init(field: "name", message: "must be 1-100 characters")])
            }
            guard !body.scopes.isEmpty else {
                throw Problem.unprocessable("A key needs at least one scope.", errors: [.init(field: "scopes", message: "must not be empty")])
            }
            for scope in body.scopes {
                guard let permission = permissions[scope] else {
                    throw Problem.unprocessable("Unknown scope '\(scope)'.", errors: [.init(field: "scopes", message: "unknown scope \(scope)")])
                }
                guard principal.has(permission) else {
                    throw Problem(.forbidden, detail: "You cannot give a key the '\(scope)' scope you do not hold.")
                }
            }
            if let expiry = body.expiresAt, expiry <= identity.platform.now() {
                throw Problem.unprocessable("expires_at must be in the future.", errors: [.init(field: "expires_at", message: "must be in the future")])
            }
            let (key, secret) = try await identity.apiKeys.create(userID: principal.userID, name: name, scopes: body.scopes, expiresAt: body.expiresAt)
            let created = CreatedAPIKey(
                id: key.id, name: key.name, prefix: key.prefix, scopes: key.scopes, expiresAt: key.expiresAt, createdAt: key.createdAt, key: secret
            )
            var response = try context.responseEncoder.encode(created, from: request, context: context)
            response.status = .created
            return response
        }
        keys.get { _, context -> Page<APIKey> in
            let principal = try context.require(.ownAccount)
            return Page(items: try await identity.apiKeys.list(userID: principal.userID), nextCursor: nil)
        }
        keys.delete("/{id}") { _, context -> Response in
            let principal = try context.require(.ownAccount)
            let id = try context.requireID("id", kind: "API key")
            guard try await identity.apiKeys.delete(id: id, userID: principal.userID) else { throw Problem.notFound("No API key \(id).") }
            await identity.revokeSockets(SocketRevocation(key: id))
            return Response(status: .noContent)
        }
    }
}

extension Session: ResponseEncodable {}
extension APIKey: ResponseEncodable {}
