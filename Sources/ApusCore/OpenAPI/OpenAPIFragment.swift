/// A module's part of the OpenAPI 3.1 document: its paths and the schemas they reference.
public struct OpenAPIFragment: Sendable {
    /// Path template → path item object.
    public var paths: [String: JSONValue]
    /// Schema name → schema, referenced as `#/components/schemas/NAME`.
    public var schemas: [String: JSONValue]
    /// Tag objects naming the module's group of operations.
    public var tags: [JSONValue]
    /// The problem kinds of the module's own (`urn:apus:problem:<module>:<kind>`) its
    /// responses may carry, listed in the document's `Problem` schema.
    public var problemTypes: [ProblemType]

    public init(paths: [String: JSONValue] = [:], schemas: [String: JSONValue] = [:], tags: [JSONValue] = [], problemTypes: [ProblemType] = []) {
        self.paths = paths
        self.schemas = schemas
        self.tags = tags
        self.problemTypes = problemTypes
    }
}

/// Two fragments that describe the same thing differently.
public struct OpenAPIConflict: Error, Sendable, CustomStringConvertible {
    /// What is described twice.
    public let description: String

    init(_ description: String) {
        self.description = "OpenAPI: " + description
    }
}

/// Builds the OpenAPI document from every running module's fragment.
public enum OpenAPIDocument {
    /// The whole document.
    ///
    /// Fragments must not overlap: a schema name with two different definitions, an operation
    /// id used twice, or one method of one path in two fragments is an error naming it, not a
    /// silent merge.
    public static func build(version: String, fragments: [OpenAPIFragment], events: [EventDeclaration] = []) throws(OpenAPIConflict) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        let problemTypes = ProblemType.platform + fragments.flatMap(\.problemTypes)
        var schemas: [String: JSONValue] = ["Problem": problemSchema(problemTypes)]
        var operationIDs: Set<String> = []
        var tags: [JSONValue] = []
        for fragment in fragments {
            for (path, item) in fragment.paths.sorted(by: { $0.key < $1.key }) {
                if case .object(let operations) = item {
                    for (method, operation) in operations.sorted(by: { $0.key < $1.key }) {
                        if paths[path]?[method] != nil { throw OpenAPIConflict("\(method.uppercased()) \(path) is described twice") }
                        if case .string(let id)? = operation["operationId"], !operationIDs.insert(id).inserted {
                            throw OpenAPIConflict("the operation id \(id) is used twice")
                        }
                    }
                }
                paths[path] = paths[path].map { $0.merging(item) } ?? item
            }
            for (name, schema) in fragment.schemas.sorted(by: { $0.key < $1.key }) {
                if let existing = schemas[name], existing != schema { throw OpenAPIConflict("the schema \(name) has two different definitions") }
                schemas[name] = schema
            }
            tags += fragment.tags
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Apus",
                "version": .string(version),
                "description": "The HTTP API of an Apus node. Errors are RFC 9457 problem documents.",
            ],
            "paths": .object(paths),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": ["bearerAuth": ["type": "http", "scheme": "bearer", "description": "An access token (JWT) or an apus_ API key"]],
            ],
            "tags": .array(tags),
            "webhooks": .object(webhooks(events)),
        ]
    }

    /// The events a webhook endpoint may subscribe to, as OpenAPI 3.1 webhooks: what Apus
    /// posts for each (signed as Standard Webhooks), keyed by event type.
    static func webhooks(_ events: [EventDeclaration]) -> [String: JSONValue] {
        var webhooks: [String: JSONValue] = [:]
        for event in events {
            let envelope = object([
                "type": ["const": .string(event.type)],
                "timestamp": time,
                "data": event.payload,
            ])
            webhooks[event.type] = [
                "post": [
                    "summary": .string(event.summary),
                    "operationId": .string("event." + event.type),
                    "requestBody": ["required": true, "content": ["application/json": ["schema": envelope]]],
                    "responses": ["2XX": ["description": "Received; any other answer is retried."]],
                ]
            ]
        }
        return webhooks
    }

    /// The RFC 9457 problem document, whose `type` is one of `types`.
    public static func problemSchema(_ types: [ProblemType]) -> JSONValue {
        [
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": [
                "type": [
                    "type": "string",
                    "description": .string("The problem's kind, to branch on:\n" + types.map { "- `\($0.uri)`: \($0.meaning)" }.joined(separator: "\n")),
                    "enum": .array(types.map { .string($0.uri) }),
                ],
                "title": ["type": "string"],
                "status": ["type": "integer", "minimum": 400, "maximum": 599],
                "detail": ["type": "string"],
                "instance": ["type": "string"],
                "request_id": ["type": "string"],
                "errors": [
                    "type": "array",
                    "items": [
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": ["field": ["type": "string"], "message": ["type": "string"]],
                    ],
                ],
            ],
        ]
    }

    /// A response whose body is a problem.
    public static func problemResponse(_ description: String) -> JSONValue {
        [
            "description": .string(description),
            "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
        ]
    }

    /// A JSON response with `schema`.
    public static func jsonResponse(_ description: String, schema: JSONValue) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": schema]]]
    }

    /// A reference to a named schema.
    public static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }
}
