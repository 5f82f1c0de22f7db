public import ApusCore
import Foundation
public import HTTPTypes
import Hummingbird
public import HummingbirdTesting
import Testing

/// Test shorthand for signing up and in through the real endpoints.
public struct TokenPair: Decodable, Sendable {
    public let accessToken: String
    public let tokenType: String
    public let expiresIn: Int
    public let refreshToken: String
}

extension TestClientProtocol {
    public func json(_ uri: String, _ method: HTTPRequest.Method, token: String? = nil, body: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    @discardableResult
    public func register(_ email: String, password: String = "correct horse") async throws -> TestResponse {
        try await json("/v1/auth/register", .post, body: #"{"email":"\#(email)","password":"\#(password)"}"#)
    }

    public func login(_ email: String, password: String = "correct horse", headers: HTTPFields = [:]) async throws -> TokenPair {
        let response = try await json("/v1/auth/login", .post, body: #"{"email":"\#(email)","password":"\#(password)"}"#, headers: headers)
        try #require(response.status == .ok, "login failed: \(String(buffer: response.body))")
        return try APIJSON.decoder.decode(TokenPair.self, from: Data(buffer: response.body))
    }

    /// Registers and signs in a user with `roles` (set by the server's store directly).
    public func signedIn(_ email: String, roles: [Role] = [.viewer], server: ApusServer) async throws -> TokenPair {
        try await register(email)
        if roles != [.viewer], let user = try await server.identity.users.find(email: email) {
            _ = try await server.identity.updateUser(id: user.id, roles: roles, disabled: nil)
        }
        return try await login(email)
    }
}

extension TestResponse {
    public func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        try APIJSON.decoder.decode(T.self, from: Data(buffer: body))
    }
}
