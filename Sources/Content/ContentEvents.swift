import ApusCore

/// The events Content writes to the outbox (webhooks for static-site rebuilds). It consumes
/// none: entries outlive their authors, whose id stays in the revisions.
enum ContentEvents {
    static let created = "content.entry.created"
    static let updated = "content.entry.updated"
    static let published = "content.entry.published"
    static let unpublished = "content.entry.unpublished"
    static let archived = "content.entry.archived"
    static let deleted = "content.entry.deleted"

    /// What every content event carries: the entry as it stands after the change.
    struct Payload: Codable, Sendable {
        var id: String
        var type: String
        var status: String
        var authorId: String
        var slug: String?
        var publishedAt: String?
        var version: Int
    }

    static let payload = OpenAPIDocument.object([
        "id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
        "type": ["type": "string"],
        "status": ["type": "string", "enum": .array(EntryStatus.allCases.map { .string($0.rawValue) })],
        "author_id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
        "slug": ["type": ["string", "null"]],
        "published_at": ["type": ["string", "null"], "format": "date-time"],
        "version": ["type": "integer"],
    ])

    static let all = [
        EventDeclaration(created, summary: "A content entry was created (a draft).", payload: payload),
        EventDeclaration(updated, summary: "A content entry's draft was saved.", payload: payload),
        EventDeclaration(published, summary: "A content entry was published: readers now see it.", payload: payload),
        EventDeclaration(unpublished, summary: "A content entry was withdrawn from readers.", payload: payload),
        EventDeclaration(archived, summary: "A content entry was archived.", payload: payload),
        EventDeclaration(deleted, summary: "A content entry was deleted with its revisions.", payload: payload),
    ]
}
