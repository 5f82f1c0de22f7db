import ApusCore

/// What the recommendations module emits.
enum RecsEvents {
    static let modelPublished = "recs.model.published"

    struct Published: Codable, Sendable {
        var id: String
        var model: String
    }

    static let all = [
        EventDeclaration(
            modelPublished, summary: "A recommendation model was published: nodes now serve its lists.",
            payload: OpenAPIDocument.object(["id": ["type": "string"], "model": ["type": "string"]])
        ),
    ]
}
