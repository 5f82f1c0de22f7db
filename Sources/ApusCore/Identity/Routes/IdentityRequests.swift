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


