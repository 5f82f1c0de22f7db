import ApusCore

/// The tus 1.0 protocol at `/v1/uploads` as OpenAPI operations: headers and raw bytes rather than
/// JSON, so a client generator or a fuzzer sees every header, body and status the protocol uses.
/// tus 1.0 itself (tus.io/protocols/resumable-upload) stays the reference for what they mean.
enum TusOpenAPI {
    typealias Doc = OpenAPIDocument

    static func header(_ name: String, _ schema: JSONValue, required: Bool = false, _ description: String) -> JSONValue {
        ["name": .string(name), "in": "header", "required": .bool(required), "schema": schema, "description": .string(description)]
    }

    static let count: JSONValue = ["type": "integer", "minimum": 0]
    static let text: JSONValue = ["type": "string"]
    static let resumable = header("Tus-Resumable", ["type": "string", "enum": ["1.0.0"]], required: true, "The protocol version; any other answers 412")
    static let checksum = header("Upload-Checksum", text, "'<sha1|sha256|md5> <Base64 digest>' of this request's bytes; a mismatch answers 460")
    static let bytes: JSONValue = ["application/offset+octet-stream": ["schema": ["type": "string", "format": "binary"]]]

    static let notFound = Doc.problemResponse("No such upload of yours")
    static let gone = Doc.problemResponse("The upload expired unfinished (or a part of this final upload did)")
    static let versionRefused = Doc.problemResponse("Tus-Resumable is missing or names a version this server does not speak (Tus-Version lists its own)")
    static let locked = Doc.problemResponse("Another request is writing this upload; ask HEAD for its offset, retry after Retry-After")
    static let unavailable = Doc.problemResponse("File storage is unavailable")
    static let checksumMismatch = Doc.problemResponse("The bytes do not match Upload-Checksum; they were discarded and the offset stays")

    static func headers(_ names: [String: JSONValue]) -> JSONValue {
        .object(names.mapValues { ["schema": $0] })
    }

    /// What every chunk-taking answer says of the upload.
    static let progress = headers(["Upload-Offset": count, "Upload-Expires": text, "Tus-Resumable": text])

    /// An operation of the protocol: `Tus-Resumable` first among its parameters, and raw bytes
    /// (`required` or not) as its body when it takes them.
    static func operation(
        _ id: String, _ summary: String, secured: Bool = true, parameters: [JSONValue], body: Bool? = nil, responses: [String: JSONValue]
    ) -> JSONValue {
        let operation = Doc.operation(id, summary, tag: "tus", secured: secured, parameters: parameters, responses: responses)
        guard let body, case .object(var members) = operation else { return operation }
        members["requestBody"] = ["required": .bool(body), "content": bytes]
        return .object(members)
    }

    /// `operation` with its answers described but not their bodies: a `HEAD` (or a `POST` that
    /// overrides to one) answers without a body, errors included.
    static func bodiless(_ operation: JSONValue) -> JSONValue {
        guard case .object(var members) = operation, case .object(let responses)? = members["responses"] else { return operation }
        members["responses"] = .object(responses.mapValues { response in
            guard case .object(var fields) = response else { return response }
            fields["content"] = nil
            return .object(fields)
        })
        return .object(members)
    }

    static let discovery = operation("tusOptions", "What the server speaks: version, extensions, largest upload, checksum algorithms", secured: false, parameters: [], responses: [
        "204": ["description": "The server's tus capabilities", "headers": headers([
            "Tus-Version": text, "Tus-Extension": text, "Tus-Max-Size": count, "Tus-Checksum-Algorithm": text,
        ])],
    ])

    static let create = operation("createUpload", "Create an upload (with its first bytes in the body, if any), or a final upload of partial ones", parameters: [
        resumable,
        header("Upload-Length", count, "The whole upload's size in bytes"),
        header("Upload-Defer-Length", ["type": "string", "enum": ["1"]], "Instead of Upload-Length: the size is told later, with a PATCH"),
        header("Upload-Metadata", text, "Comma-separated 'key base64value' pairs (filename, filetype)"),
        header("Upload-Concat", ["type": "string", "pattern": "^(partial|final;.+)$"], "'partial', or 'final;' and the URLs of the partial uploads in order"),
        checksum,
    ], body: false, responses: [
        "201": ["description": "Created; Location is its URL", "headers": headers([
            "Location": text, "Upload-Offset": count, "Upload-Expires": text, "Tus-Resumable": text,
        ])],
        "412": versionRefused,
        "413": Doc.problemResponse("Larger than the largest upload allowed, or past your quota"),
        "415": Doc.problemResponse("The declared file type is not accepted here, or the body is not application/offset+octet-stream"),
        "423": locked, "460": checksumMismatch, "503": unavailable,
    ])

    static let head = bodiless(operation("getUploadOffset", "Where an upload stands: the offset to resume from", parameters: [Doc.idParameter(), resumable], responses: [
        "200": ["description": "The upload's state (no Upload-Offset for a final upload still waiting for its parts)", "headers": headers([
            "Upload-Offset": count, "Upload-Length": count, "Upload-Defer-Length": text, "Upload-Metadata": text,
            "Upload-Concat": text, "Upload-Expires": text, "Cache-Control": text, "Tus-Resumable": text,
        ])],
        "404": notFound, "410": gone, "412": versionRefused,
    ]))

    static let patch = operation("appendToUpload", "Send bytes from Upload-Offset on", parameters: [
        Doc.idParameter(), resumable,
        header("Upload-Offset", count, required: true, "Where these bytes go: the upload's current offset"),
        header("Upload-Length", count, "The size of an upload created with Upload-Defer-Length"),
        checksum,
    ], body: true, responses: [
        "204": ["description": "The bytes are durable; Upload-Offset is the new offset", "headers": progress],
        "403": Doc.problemResponse("A final upload takes no bytes of its own"),
        "404": notFound, "409": Doc.problemResponse("Upload-Offset is not the upload's offset; ask HEAD"), "410": gone,
        "412": versionRefused, "413": Doc.problemResponse("The bytes go past the upload's length"),
        "415": Doc.problemResponse("The body is not application/offset+octet-stream"),
        "423": locked, "460": checksumMismatch, "503": unavailable,
    ])

    static let terminate = operation("terminateUpload", "Stop an upload and remove its bytes", parameters: [Doc.idParameter(), resumable], responses: [
        "204": ["description": "Removed"], "404": notFound, "412": versionRefused, "423": locked, "503": unavailable,
    ])

    // Its answers take the overridden method's form, so only their statuses are described.
    static let methodOverride = bodiless(operation("overrideUploadMethod", "PATCH, HEAD or DELETE sent as POST, for proxies that pass only GET and POST", parameters: [
        Doc.idParameter(), resumable,
        header("X-HTTP-Method-Override", ["type": "string", "enum": ["PATCH", "HEAD", "DELETE"]], required: true, "The method meant"),
        header("Upload-Offset", count, "For PATCH: where these bytes go"),
        header("Upload-Length", count, "For PATCH: the size of an upload created with Upload-Defer-Length"),
        checksum,
    ], body: false, responses: [
        "200": ["description": "HEAD: the upload's state"], "204": ["description": "PATCH: the bytes are durable; DELETE: removed", "headers": progress],
        "403": Doc.problemResponse("A final upload takes no bytes of its own"),
        "404": notFound, "405": Doc.problemResponse("No or another X-HTTP-Method-Override"),
        "409": Doc.problemResponse("Upload-Offset is not the upload's offset; ask HEAD"), "410": gone,
        "412": versionRefused, "413": Doc.problemResponse("The bytes go past the upload's length"),
        "415": Doc.problemResponse("The body is not application/offset+octet-stream"),
        "423": locked, "460": checksumMismatch, "503": unavailable,
    ]))

    static let paths: [String: JSONValue] = [
        UploadRoutes.base: ["options": discovery, "post": create],
        UploadRoutes.base + "/{id}": [
            // Discovery answers at any upload URL, whatever the id.
            "options": operation("tusOptionsOfUpload", "The server's tus capabilities, asked at an upload's URL", secured: false, parameters: [
                ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]],
            ], responses: [
                "204": ["description": "The server's tus capabilities"],
            ]),
            "head": head, "patch": patch, "delete": terminate, "post": methodOverride,
        ],
    ]
}
