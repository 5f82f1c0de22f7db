import ApusCore
import Foundation
import Hummingbird

/// How a notification travels.
enum DeliveryChannel: String, Codable, Sendable, CaseIterable {
    case webhook
    case email
    case inApp = "in_app"
}

/// Where a notification stands.
enum NotificationStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting for a worker (or a retry).
    case queued
    /// A worker is delivering it.
    case sending
    /// The other side took it.
    case delivered
    /// The last attempt failed; another follows.
    case failed
    /// Out of attempts, or refused for good: in the dead-letter list until retried.
    case dead
    /// Not sent: the recipient muted the category on this channel.
    case suppressed
}

/// A notification as the API shows it.
struct NotificationRecord: Codable, Sendable, ResponseEncodable {
    var id: String
    var channel: DeliveryChannel
    var recipient: String
    var category: String
    var template: String?
    var subject: String?
    var body: String?
    var data: JSONValue
    var eventType: String?
    var status: NotificationStatus
    var createdAt: Date
    var updatedAt: Date
    var deliveredAt: Date?
    var readAt: Date?
    /// Every delivery attempt, oldest first (only on the single-notification view).
    var attempts: [DeliveryAttempt]?
}

/// One try at delivering a notification.
struct DeliveryAttempt: Codable, Sendable, Equatable {
    var attempt: Int
    var at: Date
    /// `delivered` or `failed`.
    var outcome: String
    /// What the other side answered (status line, SMTP reply).
    var response: String?
    var error: String?
}
