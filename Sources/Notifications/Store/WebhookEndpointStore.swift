import ApusCore
import Foundation
import Hummingbird
import SQLKit

/// A receiver of event webhooks.
struct WebhookEndpoint: Codable, Sendable, ResponseEncodable {
    var id: String
    var url: String
    var eventTypes: [String]
    var disabled: Bool
    var disabledReason: String?
    var failingSince: Date?
    var createdAt: Date
    var updatedAt: Date
    /// Shown once: on creation and on rotation.
    var secret: String?
}

/// Endpoints in `notifications_endpoints`.
struct WebhookEndpointStore: Sendable {
    let platform: Platform

    /// A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks has it.
    static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    func create(owner: String, url: String, eventTypes: [String]) async throws -> WebhookEndpoint {
        let created = platform.now()
        let id = OpaqueID.make("whe", at: created)
        let secret = Self.makeSecret()
        let now = Timestamp.format(created)
        // Read back in the same transaction: the row as stored (with its defaults), and no read
        // elsewhere that might not see it yet.
        var endpoint = try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("""
                INSERT INTO notifications_endpoints (id, owner_id, url, event_types, secret, created_at, updated_at)
                VALUES (\(bind: id), \(bind: owner), \(bind: url), \(bind: eventTypes.joined(separator: " ")), \(bind: secret), \(bind: now), \(bind: now))
                """).run()
            try await Self.subscribe(id, to: eventTypes, on: connection)
            guard let row = try await connection.raw("SELECT * FROM notifications_endpoints WHERE id = \(bind: id)").first() else {
                throw Problem(.internalServerError, detail: "The endpoint \(id) was not stored.")
            }
            return try Self.stored(row).endpoint
        }
        endpoint.secret = secret
        return endpoint
    }

    /// An endpoint with its owner and secret.
    struct Stored: Sendable {
        var endpoint: WebhookEndpoint
        var ownerID: String
        var secret: String
    }

    /// From the primary: a send checks its endpoint exists, often right after making it.
    func find(id: String) async throws -> Stored? {
        try await platform.read.primary { connection in
            try await connection.raw("SELECT * FROM notifications_endpoints WHERE id = \(bind: id)").first().map(Self.stored)
        }
    }

    func list(owner: String?, limit: Int, before: String?) async throws -> [WebhookEndpoint] {
        try await platform.read { connection in
            var query = SQLQueryString("SELECT * FROM notifications_endpoints WHERE 1 = 1")
            if let owner { query.appendInterpolation(unsafeRaw: " AND owner_id = "); query.appendInterpolation(bind: owner) }
            if let before { query.appendInterpolation(unsafeRaw: " AND id < "); query.appendInterpolation(bind: before) }
            query.appendInterpolation(unsafeRaw: " ORDER BY id DESC LIMIT ")
            query.appendInterpolation(bind: limit)
            return try await connection.raw(query).all().map { try Self.stored($0).endpoint }
        }
    }

    func update(id: String, url: String?, eventTypes: [String]?, disabled: Bool?) async throws {
        let now = Timestamp.format(platform.now())
        try await platform.transaction { transaction in
            let connection = transaction.sql
            if let url { try await connection.raw("UPDATE notifications_endpoints SET url = \(bind: url) WHERE id = \(bind: id)").run() }
            if let eventTypes {
                try await connection.raw("UPDATE notifications_endpoints SET event_types = \(bind: eventTypes.joined(separator: " ")) WHERE id = \(bind: id)").run()
                try await Self.subscribe(id, to: eventTypes, on: connection)
            }
            if let disabled {
                // Enabling again starts the failure clock afresh.
                try await connection.raw("""
                    UPDATE notifications_endpoints SET disabled = \(bind: disabled ? 1 : 0), disabled_reason = \(bind: disabled ? "disabled by its owner" : nil),
                        failing_since = NULL WHERE id = \(bind: id)
                    """).run()
            }
            try await connection.raw("UPDATE notifications_endpoints SET updated_at = \(bind: now) WHERE id = \(bind: id)").run()
        }
    }

    func rotateSecret(id: String) async throws -> String {
        let secret = Self.makeSecret()
        try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("UPDATE notifications_endpoints SET secret = \(bind: secret), updated_at = \(bind: Timestamp.format(platform.now())) WHERE id = \(bind: id)").run()
        }
        return secret
    }

    func delete(id: String) async throws {
        try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("DELETE FROM notifications_subscriptions WHERE endpoint_id = \(bind: id)").run()
            try await connection.raw("DELETE FROM notifications_endpoints WHERE id = \(bind: id)").run()
        }
    }

    /// Replaces the index entries of endpoint `id` by `eventTypes` (exact types, `prefix.*`, `*`).
    static func subscribe(_ id: String, to eventTypes: [String], on connection: any SQLDatabase) async throws {
        try await connection.raw("DELETE FROM notifications_subscriptions WHERE endpoint_id = \(bind: id)").run()
        for pattern in Set(eventTypes) {
            try await connection.raw("INSERT INTO notifications_subscriptions (pattern, endpoint_id) VALUES (\(bind: pattern), \(bind: id))").run()
        }
    }

    /// The patterns that match `type`: `*`, the type itself, and `prefix.*` for each of its
    /// dotted prefixes (`links.*` and `links.link.*` for `links.link.created`).
    static func patterns(matching type: String) -> [String] {
        var patterns = ["*", type]
        var prefix = ""
        for part in type.split(separator: ".", omittingEmptySubsequences: false).dropLast() {
            prefix += part + "."
            patterns.append(prefix + "*")
        }
        return patterns
    }

    /// Disables an endpoint for `reason`; returns whether it was enabled until now.
    func disable(id: String, reason: String) async throws -> Bool {
        try await platform.transaction { transaction in
            let connection = transaction.sql
            return try await connection.raw("""
                UPDATE notifications_endpoints SET disabled = 1, disabled_reason = \(bind: reason), updated_at = \(bind: Timestamp.format(platform.now()))
                WHERE id = \(bind: id) AND disabled = 0 RETURNING id
                """).first() != nil
        }
    }

    /// Notes a failed delivery: starts the failure clock at `now` unless it runs already, in one
    /// statement for concurrent deliveries (``EndpointHealth`` decides the rest); returns when the
    /// endpoint started failing.
    func noteFailure(id: String, at now: Date) async throws -> Date {
        try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("""
                UPDATE notifications_endpoints SET failing_since = \(bind: Timestamp.format(now)) WHERE id = \(bind: id) AND failing_since IS NULL
                """).run()
            let since = try await connection.raw("SELECT failing_since FROM notifications_endpoints WHERE id = \(bind: id)").first()?
                .decode(column: "failing_since", as: String?.self)
            return since.flatMap(Timestamp.parse) ?? now
        }
    }

    /// Notes a delivered one: the failure clock stops.
    func noteSuccess(id: String) async throws {
        try await platform.transaction { try await $0.sql.raw("UPDATE notifications_endpoints SET failing_since = NULL WHERE id = \(bind: id) AND failing_since IS NOT NULL").run() }
    }

    /// Enabled endpoints subscribed to `type`, created before the event, read through
    /// `connection`: looked up in the subscription index by the patterns that can match, so
    /// fan-out costs an index probe per pattern, not a scan of every endpoint.
    static func subscribers(to type: String, createdBefore: Date, on connection: any SQLDatabase) async throws -> [Stored] {
        var query = SQLQueryString("SELECT * FROM notifications_endpoints WHERE disabled = 0 AND created_at <= ")
        query.appendInterpolation(bind: Timestamp.format(createdBefore))
        query.appendLiteral(" AND id IN (SELECT endpoint_id FROM notifications_subscriptions WHERE pattern IN (")
        for (index, pattern) in patterns(matching: type).enumerated() {
            if index > 0 { query.appendLiteral(", ") }
            query.appendInterpolation(bind: pattern)
        }
        query.appendLiteral(")) ORDER BY id")
        return try await connection.raw(query).all().map(stored)
    }

    static func stored(_ row: any SQLRow) throws -> Stored {
        let endpoint = WebhookEndpoint(
            id: try row.decode(column: "id", as: String.self),
            url: try row.decode(column: "url", as: String.self),
            eventTypes: try row.decode(column: "event_types", as: String.self).split(separator: " ").map(String.init),
            disabled: try row.decode(column: "disabled", as: Int.self) != 0,
            disabledReason: try row.decode(column: "disabled_reason", as: String?.self),
            failingSince: try row.decode(column: "failing_since", as: String?.self).flatMap(Timestamp.parse),
            createdAt: try Timestamp.decode(row, column: "created_at"),
            updatedAt: try Timestamp.decode(row, column: "updated_at"),
            secret: nil
        )
        return Stored(endpoint: endpoint, ownerID: try row.decode(column: "owner_id", as: String.self), secret: try row.decode(column: "secret", as: String.self))
    }
}
