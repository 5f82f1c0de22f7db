import ApusCore
import Foundation

/// Turns every module event into a webhook notification for each endpoint subscribed to its type,
/// in the transaction that records the event as processed: each pair is queued exactly once.
///
/// An endpoint sees what its owner may see through the API: events carrying its owner's data, or
/// every event when its owner is an admin (checked as each event goes out, so a demotion
/// applies from the next event on).
enum EventWebhooks {
    static func consumer(users: any UserDirectory) -> EventConsumer {
        EventConsumer(name: "notifications.webhooks") { event, transaction in
            let data = (try? JSONValue(parsing: Array(event.payload.utf8))) ?? .object([:])
            for subscriber in try await WebhookEndpointStore.subscribers(to: event.type, createdBefore: event.occurredAt, on: transaction.sql) {
                if subscriber.ownerID != event.owner {
                    guard let owner = try await users.user(id: subscriber.ownerID), owner.roles.contains(.admin) else { continue }
                }
                _ = try await NotificationStore.insert(
                    .init(
                        senderID: subscriber.ownerID, channel: .webhook, recipient: subscriber.endpoint.id, userID: nil, category: "events",
                        template: nil, subject: nil, body: nil, data: data, eventType: event.type, status: .queued
                    ),
                    in: transaction, jobKey: "event:\(event.id):\(subscriber.endpoint.id)"
                )
            }
        }
    }
}
