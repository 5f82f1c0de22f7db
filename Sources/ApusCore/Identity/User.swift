public import Foundation

/// An account, as the API shows it (never with its password hash).
public struct User: Sendable, Codable, Equatable {
    public var id: String
    public var email: String
    public var roles: [Role]
    public var disabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
}
