import ApusCore
import SQLKit

/// Per-user, per-category, per-channel opt-outs in `notifications_preferences`. No row means enabled.
struct PreferenceStore: Sendable {
    let platform: Platform
    /// The category no one can mute.
    static let critical = "critical"

    /// `category → channel → enabled` for `userID`.
    func preferences(userID: String) async throws -> [String: [String: Bool]] {
        try await platform.read { connection in
            var result: [String: [String: Bool]] = [:]
            for row in try await connection.raw("SELECT category, channel, enabled FROM notifications_preferences WHERE user_id = \(bind: userID)").all() {
                result[try row.decode(column: "category", as: String.self), default: [:]][try row.decode(column: "channel", as: String.self)] =
                    try row.decode(column: "enabled", as: Int.self) != 0
            }
            return result
        }
    }

    /// Replaces the preferences of `userID`.
    func replace(userID: String, with preferences: [String: [String: Bool]]) async throws {
        try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("DELETE FROM notifications_preferences WHERE user_id = \(bind: userID)").run()
            for (category, channels) in preferences {
                for (channel, enabled) in channels {
                    try await connection.raw("""
                        INSERT INTO notifications_preferences (user_id, category, channel, enabled)
                        VALUES (\(bind: userID), \(bind: category), \(bind: channel), \(bind: enabled ? 1 : 0))
                        """).run()
                }
            }
        }
    }

    /// Whether `userID` takes `category` on `channel`, read through `connection`.
    static func allows(userID: String, category: String, channel: DeliveryChannel, on connection: any SQLDatabase) async throws -> Bool {
        guard category != critical else { return true }
        let row = try await connection.raw("""
            SELECT enabled FROM notifications_preferences WHERE user_id = \(bind: userID) AND category = \(bind: category) AND channel = \(bind: channel.rawValue)
            """).first()
        return try row?.decode(column: "enabled", as: Int.self) != 0
    }
}
