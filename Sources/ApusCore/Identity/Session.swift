public import Foundation

/// A signed-in device: what `GET /v1/auth/sessions` lists.
public struct Session: Sendable, Codable, Equatable {
    public var id: String
    public var userAgent: String?
    public var createdAt: Date
    public var lastUsedAt: Date
    /// Whether this is the session of the access token that asked.
    public var current: Bool
}
