import ApusCore
import Foundation
import Hummingbird
import SQLKit

/// A named Mustache template: a subject, a text body and an optional HTML body. Anyone who may
/// manage templates may read and send with every template; only its owner or an admin may
/// replace or delete it (`ownerId` is `nil` for templates only admins manage).
struct NotificationTemplate: Codable, Sendable, ResponseEncodable {
    var name: String
    var subject: String
    var textBody: String
    var htmlBody: String?
    var ownerId: String?
    var createdAt: Date
    var updatedAt: Date
}

/// Templates in `notifications_templates`.
struct TemplateStore: Sendable {
    let platform: Platform

    /// What `save` did.
    enum SaveOutcome: Equatable {
        case created, replaced
        /// The template exists and belongs to someone else; nothing changed.
        case notYours
    }

    /// Creates `template` owned by `principal`, or replaces it if `principal` owns it or is an
    /// admin (the owner stays). The check and the write are one statement, so a change of owner
    /// in between cannot be overtaken.
    func save(_ template: NotificationTemplate, by principal: Principal) async throws -> SaveOutcome {
        let now = Timestamp.format(platform.now())
        return try await platform.transaction { transaction in
            let connection = transaction.sql
            let replaced = try await connection.raw("""
                UPDATE notifications_templates SET subject = \(bind: template.subject), text_body = \(bind: template.textBody),
                    html_body = \(bind: template.htmlBody), updated_at = \(bind: now)
                WHERE name = \(bind: template.name) AND (owner_id = \(bind: principal.userID) OR \(bind: principal.isAdmin ? 1 : 0) = 1)
                RETURNING name
                """).first() != nil
            if replaced { return .replaced }
            let created = try await connection.raw("""
                INSERT INTO notifications_templates (name, subject, text_body, html_body, owner_id, created_at, updated_at)
                VALUES (\(bind: template.name), \(bind: template.subject), \(bind: template.textBody), \(bind: template.htmlBody),
                    \(bind: principal.userID), \(bind: now), \(bind: now))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """).first() != nil
            return created ? .created : .notYours
        }
    }

    /// Creates `template`; `false` when the name is taken. The primary key decides between
    /// concurrent creations of one name: exactly one succeeds.
    func create(_ template: NotificationTemplate, by owner: String) async throws -> Bool {
        let now = Timestamp.format(platform.now())
        return try await platform.transaction { transaction in
            let connection = transaction.sql
            return try await connection.raw("""
                INSERT INTO notifications_templates (name, subject, text_body, html_body, owner_id, created_at, updated_at)
                VALUES (\(bind: template.name), \(bind: template.subject), \(bind: template.textBody), \(bind: template.htmlBody),
                    \(bind: owner), \(bind: now), \(bind: now))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """).first() != nil
        }
    }

    /// From the primary: a send checks its template exists, often right after making it.
    func find(name: String) async throws -> NotificationTemplate? {
        try await platform.read.primary { connection in
            try await connection.raw("SELECT * FROM notifications_templates WHERE name = \(bind: name)").first().map(Self.template)
        }
    }

    func list(limit: Int, after: String?) async throws -> [NotificationTemplate] {
        try await platform.read { connection in
            try await connection.raw("""
                SELECT * FROM notifications_templates WHERE name > \(bind: after ?? "") ORDER BY name LIMIT \(bind: limit)
                """).all().map(Self.template)
        }
    }

    /// Deletes the template `name` if `principal` owns it or is an admin.
    func delete(name: String, by principal: Principal) async throws -> Bool {
        try await platform.transaction { transaction in
            let connection = transaction.sql
            return try await connection.raw("""
                DELETE FROM notifications_templates
                WHERE name = \(bind: name) AND (owner_id = \(bind: principal.userID) OR \(bind: principal.isAdmin ? 1 : 0) = 1)
                RETURNING name
                """).first() != nil
        }
    }

    static func template(_ row: any SQLRow) throws -> NotificationTemplate {
        NotificationTemplate(
            name: try row.decode(column: "name", as: String.self),
            subject: try row.decode(column: "subject", as: String.self),
            textBody: try row.decode(column: "text_body", as: String.self),
            htmlBody: try row.decode(column: "html_body", as: String?.self),
            ownerId: try row.decode(column: "owner_id", as: String?.self),
            createdAt: try Timestamp.decode(row, column: "created_at"),
            updatedAt: try Timestamp.decode(row, column: "updated_at")
        )
    }
}
