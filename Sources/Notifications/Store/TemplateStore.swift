import ApusCore
import Foundation
import Hummingbird
import SQLKit

/// A named Mustache template: a subject, a text body and an optional HTML body.
struct NotificationTemplate: Codable, Sendable, ResponseEncodable {
    var name: String
    var subject: String
    var textBody: String
    var htmlBody: String?
    var createdAt: Date
    var updatedAt: Date
}

/// Templates in `notifications_templates`.
struct TemplateStore: Sendable {
    let database: any Database

    /// Creates or replaces `template`; returns whether it was new.
    func save(_ template: NotificationTemplate) async throws -> Bool {
        let now = Timestamp.format(Date())
        return try await database.withTransaction { connection in
            let exists = try await connection.raw("SELECT name FROM notifications_templates WHERE name = \(bind: template.name)").first() != nil
            if exists {
                try await connection.raw("""
                    UPDATE notifications_templates SET subject = \(bind: template.subject), text_body = \(bind: template.textBody),
                        html_body = \(bind: template.htmlBody), updated_at = \(bind: now) WHERE name = \(bind: template.name)
                    """).run()
            } else {
                try await connection.raw("""
                    INSERT INTO notifications_templates (name, subject, text_body, html_body, created_at, updated_at)
                    VALUES (\(bind: template.name), \(bind: template.subject), \(bind: template.textBody), \(bind: template.htmlBody), \(bind: now), \(bind: now))
                    """).run()
            }
            return !exists
        }
    }

    /// Creates `template`; `false` when the name is taken. The primary key decides between
    /// concurrent creations of one name: exactly one succeeds.
    func create(_ template: NotificationTemplate) async throws -> Bool {
        let now = Timestamp.format(Date())
        return try await database.write { connection in
            try await connection.raw("""
                INSERT INTO notifications_templates (name, subject, text_body, html_body, created_at, updated_at)
                VALUES (\(bind: template.name), \(bind: template.subject), \(bind: template.textBody), \(bind: template.htmlBody), \(bind: now), \(bind: now))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """).first() != nil
        }
    }

    func find(name: String) async throws -> NotificationTemplate? {
        try await database.read { connection in
            try await connection.raw("SELECT * FROM notifications_templates WHERE name = \(bind: name)").first().map(Self.template)
        }
    }

    func list(limit: Int, after: String?) async throws -> [NotificationTemplate] {
        try await database.read { connection in
            try await connection.raw("""
                SELECT * FROM notifications_templates WHERE name > \(bind: after ?? "") ORDER BY name LIMIT \(bind: limit)
                """).all().map(Self.template)
        }
    }

    func delete(name: String) async throws -> Bool {
        try await database.write { connection in
            try await connection.raw("DELETE FROM notifications_templates WHERE name = \(bind: name) RETURNING name").first() != nil
        }
    }

    static func template(_ row: any SQLRow) throws -> NotificationTemplate {
        NotificationTemplate(
            name: try row.decode(column: "name", as: String.self),
            subject: try row.decode(column: "subject", as: String.self),
            textBody: try row.decode(column: "text_body", as: String.self),
            htmlBody: try row.decode(column: "html_body", as: String?.self),
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? Date(),
            updatedAt: Timestamp.parse(try row.decode(column: "updated_at", as: String.self)) ?? Date()
        )
    }
}
