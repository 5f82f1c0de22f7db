import ApusCore
import Foundation

/// A short link: `code` redirects to `url`.
struct Link: Sendable, Codable, Equatable {
    var code: String
    var shortUrl: String
    var url: String
    var redirect: Int
    var expiresAt: Date?
    var maxVisits: Int?
    var visits: Int
    var tags: [String]
    var ownerId: String
    var createdAt: Date
    var updatedAt: Date
}
