public import Foundation

/// An API key as listed (the secret itself is shown once, at creation).
public struct APIKey: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    /// The first characters of the key, to recognise it.
    public var prefix: String
    public var scopes: [String]
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var createdAt: Date
}
