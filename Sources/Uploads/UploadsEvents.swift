import ApusCore

/// The events Uploads writes to the outbox.
enum UploadsEvents {
    static let completed = "uploads.upload.completed"

    static let all = [
        EventDeclaration(
            completed, summary: "An upload received its last byte and is a file.",
            payload: OpenAPIDocument.object([
                "id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
                "owner_id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
                "length": ["type": "integer", "minimum": 0],
                "sha256": ["type": "string"],
                "metadata": ["type": "object", "additionalProperties": ["type": "string"]],
            ])
        )
    ]
}
