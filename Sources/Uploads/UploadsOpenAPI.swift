import ApusCore

/// The uploads module's part of the OpenAPI document: the tus protocol (``TusOpenAPI``) and the
/// files finished uploads become.
enum UploadsOpenAPI {
    typealias Doc = OpenAPIDocument

    static let idParameter = Doc.idParameter()
    static let notFound = Doc.problemResponse("No such file of yours (an unfinished upload is no file)")

    static func operation(_ id: String, _ summary: String, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]) -> JSONValue {
        Doc.operation(id, summary, tag: "uploads", body: body, parameters: parameters, responses: responses)
    }

    /// The download: credentials are optional, since a public file is served to anyone.
    static var download: JSONValue {
        let headers: JSONValue = [
            "ETag": ["schema": ["type": "string"]], "Content-Length": ["schema": ["type": "integer"]],
            "Accept-Ranges": ["schema": ["type": "string"]], "Content-Disposition": ["schema": ["type": "string"]],
        ]
        let bytes: JSONValue = ["*/*": ["schema": ["type": "string", "format": "binary"]]]
        let operation = operation("getFile", "A finished file's bytes (one Range at most; several get the whole file)", parameters: [
            idParameter,
            ["name": "Range", "in": "header", "schema": ["type": "string"]],
            ["name": "If-None-Match", "in": "header", "schema": ["type": "string"]],
            ["name": "If-Range", "in": "header", "schema": ["type": "string"]],
        ], responses: [
            "200": ["description": "The whole file", "headers": headers, "content": bytes],
            "206": ["description": "The range asked for, with Content-Range", "headers": headers, "content": bytes],
            "304": ["description": "If-None-Match names the file's ETag"],
            "404": notFound,
            "416": Doc.problemResponse("The range lies outside the file (Content-Range: bytes */size)"),
            "503": Doc.problemResponse("File storage is unavailable"),
        ])
        guard case .object(var members) = operation else { return operation }
        members["security"] = [[:], ["bearerAuth": []]]
        return .object(members)
    }

    static let fragment = OpenAPIFragment(
        paths: TusOpenAPI.paths.merging([
            "/v1/files": [
                "get": operation("listFiles", "Your finished files (an admin's: everyone's)", parameters: [Doc.limitParameter, Doc.idCursorParameter], responses: [
                    "200": Doc.jsonResponse("A page of files", schema: Doc.page(of: Doc.ref("File")))
                ]),
            ],
            "/v1/files/{id}": [
                "get": download,
                "patch": operation("updateFile", "Serve a file to anyone, or only to you again", body: Doc.ref("FilePatch"), parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The file", schema: Doc.ref("File")), "404": notFound,
                ]),
                "delete": operation("deleteFile", "Delete a file and its bytes", parameters: [idParameter], responses: [
                    "204": ["description": "Deleted"], "404": notFound,
                    "423": Doc.problemResponse("The upload is being written; try again"),
                    "503": Doc.problemResponse("File storage is unavailable"),
                ]),
            ],
        ]) { $1 },
        schemas: [
            "File": Doc.object([
                "id": ["type": "string"], "owner_id": ["type": "string"], "length": ["type": "integer"], "sha256": ["type": "string"],
                "content_type": ["type": "string"], "filename": ["type": "string"],
                "metadata": ["type": "object", "additionalProperties": ["type": "string"]],
                "public": ["type": "boolean"], "url": ["type": "string"], "created_at": Doc.time, "completed_at": Doc.time,
            ], optional: ["filename"]),
            "FilePatch": Doc.object(["public": ["type": "boolean"]]),
        ],
        tags: [
            ["name": "tus", "description": "Resumable uploads over tus 1.0 (tus.io/protocols/resumable-upload): headers and raw bytes"],
            ["name": "uploads", "description": "Finished uploads as files"],
        ],
        problemTypes: [UploadsModule.quotaExceeded]
    )
}
