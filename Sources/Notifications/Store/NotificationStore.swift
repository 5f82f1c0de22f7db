import ApusCore
import Foundation
import SQLKit

/// Notifications and their attempts in `notifications_notifications` / `notifications_attempts`.
struct NotificationStore: Sendable {
    let platform: Platform
    static let deliverKind = "notifications.deliver"

    /// What a new notification holds before it is stored.
    struct Draft: Sendable {
        var senderID: String?
        var channel: DeliveryChannel
        var recipient: String
        var userID: String?
        var category: String
        var template: String?
        var subject: String?
        var body: String?
        var data: JSONValue
        var eventType: String?
        var status: NotificationStatus
    }

    static func encode(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Stores `draft` through `connection` and, unless suppressed, enqueues its delivery in the
    /// same transaction. Returns the stored notification.
    static func insert(_ draft: Draft, in transaction: Transaction, jobKey: String? = nil) async throws -> NotificationRecord {
        let connection = transaction.sql
        let now = transaction.now()
        let id = OpaqueID.make("ntf", at: now)
        let stamp = Timestamp.format(now)
        try await connection.raw("""
            INSERT INTO notifications_notifications (id, sender_id, channel, recipient, user_id, category, template, subject, body, data, event_type, status, created_at, updated_at)
            VALUES (\(bind: id), \(bind: draft.senderID), \(bind: draft.channel.rawValue), \(bind: draft.recipient), \(bind: draft.userID),
                    \(bind: draft.category), \(bind: draft.template), \(bind: draft.subject), \(bind: draft.body), \(bind: encode(draft.data)),
                    \(bind: draft.eventType), \(bind: draft.status.rawValue), \(bind: stamp), \(bind: stamp))
            """).run()
        if draft.status == .queued {
            let job = try NewJob(kind: deliverKind, json: ["id": id], idempotencyKey: jobKey ?? "notification:\(id)")
            let jobID = try await transaction.enqueue(job)
            try await connection.raw("UPDATE notifications_notifications SET job_id = \(bind: jobID) WHERE id = \(bind: id)").run()
        }
        return NotificationRecord(
            id: id, channel: draft.channel, recipient: draft.recipient, category: draft.category, template: draft.template,
            subject: draft.subject, body: draft.body, data: draft.data, eventType: draft.eventType, status: draft.status,
            createdAt: Timestamp.parse(stamp) ?? now, updatedAt: Timestamp.parse(stamp) ?? now, deliveredAt: nil, readAt: nil, attempts: nil
        )
    }

    /// The stored row of a notification, for delivery.
    struct Stored: Sendable {
        var record: NotificationRecord
        var senderID: String?
        var userID: String?
        var jobID: Int64?
        /// Attempts made so far, across replays.
        var attemptCount: Int
    }

    func find(id: String, withAttempts: Bool = false) async throws -> Stored? {
        try await platform.read { connection in
            guard let row = try await connection.raw("SELECT * FROM notifications_notifications WHERE id = \(bind: id)").first() else { return nil }
            var stored = try Self.stored(row)
            if withAttempts {
                stored.record.attempts = try await connection.raw("""
                    SELECT attempt, at, outcome, response, error FROM notifications_attempts WHERE notification_id = \(bind: id) ORDER BY attempt
                    """).all().map { row in
                    DeliveryAttempt(
                        attempt: try row.decode(column: "attempt", as: Int.self),
                        at: try Timestamp.decode(row, column: "at"),
                        outcome: try row.decode(column: "outcome", as: String.self),
                        response: try row.decode(column: "response", as: String?.self),
                        error: try row.decode(column: "error", as: String?.self)
                    )
                }
            }
            return stored
        }
    }

    /// Notifications sent by `sender` (all when nil), newest first, optionally of one status.
    func list(sender: String?, status: NotificationStatus?, limit: Int, before: String?) async throws -> [NotificationRecord] {
        try await platform.read { connection in
            var query = SQLQueryString("SELECT * FROM notifications_notifications WHERE 1 = 1")
            if let sender { query.appendInterpolation(unsafeRaw: " AND sender_id = "); query.appendInterpolation(bind: sender) }
            if let status { query.appendInterpolation(unsafeRaw: " AND status = "); query.appendInterpolation(bind: status.rawValue) }
            if let before { query.appendInterpolation(unsafeRaw: " AND id < "); query.appendInterpolation(bind: before) }
            query.appendInterpolation(unsafeRaw: " ORDER BY id DESC LIMIT ")
            query.appendInterpolation(bind: limit)
            return try await connection.raw(query).all().map { try Self.stored($0).record }
        }
    }

    /// Moves a notification to `status`.
    func setStatus(_ id: String, _ status: NotificationStatus, delivered: Bool = false) async throws {
        try await platform.transaction { transaction in
            let connection = transaction.sql
            try await Self.setStatus(id, status, delivered: delivered, at: transaction.now(), on: connection)
        }
    }

    /// Moves a notification to `status` inside the caller's transaction.
    static func setStatus(_ id: String, _ status: NotificationStatus, delivered: Bool = false, at time: Date, on connection: any SQLDatabase) async throws {
        let now = Timestamp.format(time)
        try await connection.raw("""
            UPDATE notifications_notifications SET status = \(bind: status.rawValue), updated_at = \(bind: now),
                delivered_at = \(bind: delivered ? now : nil)
            WHERE id = \(bind: id)
            """).run()
    }

    /// Records an attempt and the status it leaves the notification in.
    func record(_ id: String, attempt: Int, outcome: String, response: String?, error: String?, status: NotificationStatus) async throws {
        let now = Timestamp.format(platform.now())
        try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("""
                INSERT INTO notifications_attempts (notification_id, attempt, at, outcome, response, error)
                VALUES (\(bind: id), \(bind: attempt), \(bind: now), \(bind: outcome), \(bind: response.map { String($0.prefix(1000)) }), \(bind: error.map { String($0.prefix(1000)) }))
                ON CONFLICT (notification_id, attempt) DO UPDATE SET at = excluded.at, outcome = excluded.outcome, response = excluded.response, error = excluded.error
                """).run()
            try await connection.raw("""
                UPDATE notifications_notifications SET status = \(bind: status.rawValue), attempts = \(bind: attempt), updated_at = \(bind: now),
                    delivered_at = \(bind: status == .delivered ? now : nil)
                WHERE id = \(bind: id)
                """).run()
        }
    }

    // MARK: Inbox

    /// A user's in-app notifications: unread first, then newest first.
    func inbox(userID: String, limit: Int, offset: Int) async throws -> [NotificationRecord] {
        try await platform.read { connection in
            try await connection.raw("""
                SELECT * FROM notifications_notifications WHERE user_id = \(bind: userID) AND channel = 'in_app' AND status = 'delivered'
                ORDER BY CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
                """).all().map { try Self.stored($0).record }
        }
    }

    func unreadCount(userID: String) async throws -> Int {
        try await platform.read { connection in
            try await connection.raw("""
                SELECT COUNT(*) AS n FROM notifications_notifications WHERE user_id = \(bind: userID) AND channel = 'in_app' AND status = 'delivered' AND read_at IS NULL
                """).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Marks one in-app notification of `userID` read; nil when it is not theirs.
    func markRead(id: String, userID: String) async throws -> NotificationRecord? {
        let now = Timestamp.format(platform.now())
        try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("""
                UPDATE notifications_notifications SET read_at = \(bind: now)
                WHERE id = \(bind: id) AND user_id = \(bind: userID) AND channel = 'in_app' AND status = 'delivered' AND read_at IS NULL
                """).run()
        }
        guard let stored = try await find(id: id), stored.userID == userID, stored.record.channel == .inApp, stored.record.status == .delivered else { return nil }
        return stored.record
    }

    static func stored(_ row: any SQLRow) throws -> Stored {
        let data = try row.decode(column: "data", as: String.self)
        let record = NotificationRecord(
            id: try row.decode(column: "id", as: String.self),
            channel: DeliveryChannel(rawValue: try row.decode(column: "channel", as: String.self)) ?? .inApp,
            recipient: try row.decode(column: "recipient", as: String.self),
            category: try row.decode(column: "category", as: String.self),
            template: try row.decode(column: "template", as: String?.self),
            subject: try row.decode(column: "subject", as: String?.self),
            body: try row.decode(column: "body", as: String?.self),
            data: (try? JSONValue(parsing: Array(data.utf8))) ?? .object([:]),
            eventType: try row.decode(column: "event_type", as: String?.self),
            status: NotificationStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .queued,
            createdAt: try Timestamp.decode(row, column: "created_at"),
            updatedAt: try Timestamp.decode(row, column: "updated_at"),
            deliveredAt: try row.decode(column: "delivered_at", as: String?.self).flatMap(Timestamp.parse),
            readAt: try row.decode(column: "read_at", as: String?.self).flatMap(Timestamp.parse),
            attempts: nil
        )
        return Stored(
            record: record,
            senderID: try row.decode(column: "sender_id", as: String?.self),
            userID: try row.decode(column: "user_id", as: String?.self),
            jobID: try row.decode(column: "job_id", as: Int64?.self),
            attemptCount: try row.decode(column: "attempts", as: Int.self)
        )
    }
}
