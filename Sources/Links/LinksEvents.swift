import ApusCore

/// The events Links writes to the outbox, each with the link as it stands.
enum LinksEvents {
    static let payload = OpenAPIDocument.object([
        "code": ["type": "string"],
        "url": ["type": "string", "format": "uri"],
        "short_url": ["type": "string", "format": "uri"],
        "owner_id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
    ])

    static let all = [
        EventDeclaration("links.link.created", summary: "A short link was created.", payload: payload),
        EventDeclaration("links.link.updated", summary: "A short link was changed.", payload: payload),
        EventDeclaration("links.link.deleted", summary: "A short link was deleted, with its clicks.", payload: payload),
    ]
}
