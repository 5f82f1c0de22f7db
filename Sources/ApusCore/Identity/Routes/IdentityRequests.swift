import Foundation
public import Hummingbird

/// `POST /v1/auth/register` and `POST /v1/auth/login`.
struct Credentials: Decodable {
    var email: String
    var password: String
}

/// `POST /v1/auth/refresh`.
struct RefreshRequest: Decodable {
    var refreshToken: String
}

/// `PATCH /v1/users/{id}`.
struct UserPatch: Decodable {
    var roles: [Role]?
    var disabled: Bool?
}

/// `POST /v1/api-keys`.
struct APIKeyRequest: Decodable {
    var name: String
    var scopes: [String]
    var expiresAt: Date?
}

/// A created API key, with its secret shown this once.
struct CreatedAPIKey: Encodable, ResponseEncodable {
    var id: String
    var name: String
    var prefix: String
    var scopes: [String]
    var expiresAt: Date?
    var createdAt: Date
    var key: String
}

extension User: ResponseEncodable {}
extension Identity.TokenPair: ResponseEncodable {}


extension ApusRequestContext {
    /// The path parameter `name` as an id; a malformed one is a 404, like an unknown one.
    func requireID(_ name: String, kind: String) throws -> String {
        let id = try parameters.require(name)
        guard OpaqueID.isWellFormed(id) else { throw Problem.notFound("No \(kind) \(id).") }
        return id
    }
}

extension Request {
    /// `?cursor=` as given by a previous page; a 400 problem when it cannot be one.
    func pageCursor() throws -> String? {
        guard let cursor = uri.queryParameters.get("cursor"), !cursor.isEmpty else { return nil }
        guard OpaqueID.isWellFormed(cursor) else { throw Problem.badRequest("cursor is not one this API handed out.") }
        return cursor
    }
}
