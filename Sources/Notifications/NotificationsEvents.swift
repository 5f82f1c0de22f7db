import ApusCore

/// The events Notifications takes part in. It emits none of its own; it consumes every module's
/// events (each becomes a webhook notification for the endpoints subscribed to its type, see
/// `EventWebhooks`) and Identity's user deletion.
enum NotificationsEvents {
    /// The events the module emits: none.
    static let all: [EventDeclaration] = []

    /// The module's consumers, in the order they are registered.
    static func consumers(users: any UserDirectory) -> [EventConsumer] {
        [EventWebhooks.consumer(users: users), recipientConsumer()]
    }

    /// What becomes of a user's notification data when Identity says the user was deleted: their
    /// webhook endpoints, inbox and preferences go, in the transaction that records the event. Their
    /// templates stay (others send with them) and are left to admins.
    static func recipientConsumer() -> EventConsumer {
        EventConsumer(name: "notifications.recipients", typePrefixes: [IdentityEvents.userDeleted]) { event, transaction in
            guard let change = IdentityEvents.UserChange.decode(event) else { return }
            let user = change.userId
            try await transaction.sql.raw("""
                DELETE FROM notifications_subscriptions WHERE endpoint_id IN (SELECT id FROM notifications_endpoints WHERE owner_id = \(bind: user))
                """).run()
            try await transaction.sql.raw("DELETE FROM notifications_endpoints WHERE owner_id = \(bind: user)").run()
            try await transaction.sql.raw("DELETE FROM notifications_preferences WHERE user_id = \(bind: user)").run()
            try await transaction.sql.raw("UPDATE notifications_templates SET owner_id = NULL WHERE owner_id = \(bind: user)").run()
            // The inbox: in-app notifications to the user, with their attempts.
            try await transaction.sql.raw("""
                DELETE FROM notifications_attempts WHERE notification_id IN (SELECT id FROM notifications_notifications WHERE user_id = \(bind: user))
                """).run()
            try await transaction.sql.raw("DELETE FROM notifications_notifications WHERE user_id = \(bind: user)").run()
        }
    }
}
