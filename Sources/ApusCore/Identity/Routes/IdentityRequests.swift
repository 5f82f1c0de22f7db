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

/// A list answer: `{ "items": [...], "next_cursor": ... }`.
struct Page<Item: Encodable & Sendable>: Encodable, ResponseEncodable, Sendable {
    var items: [Item]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Always present, null on the last page, as the list convention says.
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor
    }
}

extension User: ResponseEncodable {}
extension Identity.TokenPair: ResponseEncodable {}

extension Request {
    /// `?limit=` within 1...100 (default 50); a 400 problem otherwise.
    func pageLimit() throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return 50 }
        guard let limit = Int(text), (1...100).contains(limit) else { throw Problem.badRequest("limit must be an integer from 1 to 100.") }
        return limit
    }
}

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
