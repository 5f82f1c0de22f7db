import ApusCore

/// The logs module's part of the OpenAPI document: Loki's push and query API, whose errors are
/// plain text, as Loki's clients read them.
enum LogsOpenAPI {
    typealias Doc = OpenAPIDocument

    static func text(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["text/plain": ["schema": ["type": "string"]]]]
    }

    static func operation(_ id: String, _ summary: String, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]) -> JSONValue {
        var responses = responses
        let errors = ["400": "Bad request or query", "401": "Missing, invalid or revoked credentials", "403": "Not allowed", "429": "Rate limited"]
        for (code, description) in errors where responses[code] == nil { responses[code] = text(description) }
        var operation: [String: JSONValue] = [
            "operationId": .string(id), "summary": .string(summary), "tags": ["logs"],
            "security": [["bearerAuth": []]], "responses": .object(responses),
        ]
        if let body {
            responses["413"] = text("Body too large")
            responses["415"] = text("Unsupported content type or encoding")
            operation["responses"] = .object(responses)
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]]
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        return .object(operation)
    }

    static func parameter(_ name: String, required: Bool = false, schema: JSONValue = ["type": "string"]) -> JSONValue {
        ["name": .string(name), "in": "query", "required": .bool(required), "schema": schema]
    }

    static func esError(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": Doc.ref("ElasticsearchError")]]]
    }

    /// The bulk API's operation: NDJSON in, Elasticsearch's answers and errors out.
    static func bulk(_ id: String, _ summary: String, parameters: [JSONValue]) -> JSONValue {
        var responses: [String: JSONValue] = ["200": Doc.jsonResponse("Each item's outcome (errors: true when any failed)", schema: Doc.ref("BulkResponse"))]
        for (code, description) in ["400": "Malformed", "401": "Missing, invalid or revoked credentials", "403": "Not allowed", "413": "Body too large", "415": "Unsupported content encoding", "429": "Rate limited"] {
            responses[code] = esError(description)
        }
        return [
            "operationId": .string(id), "summary": .string(summary), "tags": ["logs"], "security": [["bearerAuth": []]],
            "parameters": .array(parameters + [tenant]), "responses": .object(responses),
            "requestBody": ["required": true, "content": ["application/x-ndjson": ["schema": ["type": "string"]]]],
        ]
    }

    /// The bulk API by POST and by PUT, as Elasticsearch takes it.
    static func bulkMethods(_ id: String, _ summary: String, parameters: [JSONValue]) -> JSONValue {
        ["post": bulk(id, summary, parameters: parameters), "put": bulk(id + "Put", summary, parameters: parameters)]
    }

    static let tenant: JSONValue = [
        "name": "X-Scope-OrgID", "in": "header", "description": "The tenant (admins only).",
        "schema": ["type": "string", "pattern": "^[!-.0-~]{1,150}$"],
    ]
    static let range = [parameter("start"), parameter("end")]

    /// The push: Loki's JSON, or its protobuf `PushRequest` in a snappy block (promtail's and Alloy's).
    static var pushOperation: JSONValue {
        var push = operation("lokiPush", "Push log lines (Loki's JSON push format, or its snappy-compressed protobuf)", body: Doc.ref("LokiPush"), parameters: [tenant], responses: [
            "204": ["description": "Stored"],
            "400": text("Malformed, or some entries refused (the good ones are stored); the body lists them"),
        ])
        if case .object(var fields) = push {
            fields["requestBody"] = ["required": true, "content": [
                "application/json": ["schema": Doc.ref("LokiPush")],
                "application/x-protobuf": ["schema": ["type": "string", "format": "binary", "description": "A logproto.PushRequest compressed with snappy's block format."]],
            ]]
            push = .object(fields)
        }
        return push
    }

    static let fragment = OpenAPIFragment(
        paths: [
            "/loki/api/v1/push": [
                "post": pushOperation

            ],
            "/_bulk": bulkMethods("bulk", "Ship log documents (Elasticsearch's bulk API)", parameters: []),
            "/{code}/_bulk": bulkMethods("indexBulk", "Ship log documents to an index (Elasticsearch's bulk API)", parameters: [
                ["name": "code", "in": "path", "required": true, "schema": ["type": "string"], "description": "The index."],
            ]),
            "/elasticsearch/_bulk": bulkMethods("elasticsearchBulk", "Ship log documents (Elasticsearch's bulk API, under its own root)", parameters: []),
            "/elasticsearch/{index}/_bulk": bulkMethods("elasticsearchIndexBulk", "Ship log documents to an index (Elasticsearch's bulk API, under its own root)", parameters: [
                ["name": "index", "in": "path", "required": true, "schema": ["type": "string"], "description": "The index."],
            ]),
            "/elasticsearch": [
                "get": [
                    "operationId": "elasticsearchRoot", "summary": "Elasticsearch's root document, where shippers read the version they talk to",
                    "tags": ["logs"], "security": [["bearerAuth": []]],
                    "responses": [
                        "200": Doc.jsonResponse("The name and version", schema: ["type": "object", "required": ["version"], "properties": ["version": ["type": "object"]]]),
                        "401": esError("Missing, invalid or revoked credentials"), "403": esError("Not allowed"), "429": esError("Rate limited"),
                    ],
                ]
            ],
            "/loki/api/v1/query_range": [
                "get": operation("lokiQueryRange", "Lines or a metric over a time range (LogQL)", parameters: [
                    parameter("query", required: true), tenant, parameter("limit", schema: ["type": "integer", "minimum": 1]),
                    parameter("direction", schema: ["type": "string", "enum": ["forward", "backward"]]), parameter("step"),
                ] + range, responses: ["200": Doc.jsonResponse("Streams or a matrix", schema: Doc.ref("LokiQueryResult"))])
            ],
            "/loki/api/v1/query": [
                "get": operation("lokiQuery", "Lines up to a time, or a metric at it (LogQL)", parameters: [
                    parameter("query", required: true), tenant, parameter("time"), parameter("limit", schema: ["type": "integer", "minimum": 1]),
                    parameter("direction", schema: ["type": "string", "enum": ["forward", "backward"]]),
                ], responses: ["200": Doc.jsonResponse("Streams or a vector", schema: Doc.ref("LokiQueryResult"))])
            ],
            "/loki/api/v1/labels": [
                "get": operation("lokiLabels", "Label names of the tenant's streams", parameters: [tenant] + range, responses: [
                    "200": Doc.jsonResponse("Names", schema: Doc.ref("LokiStrings")),
                ])
            ],
            "/loki/api/v1/label/{name}/values": [
                "get": operation("lokiLabelValues", "Values of one label", parameters: [
                    ["name": "name", "in": "path", "required": true, "schema": ["type": "string"]], tenant, parameter("query"),
                ] + range, responses: ["200": Doc.jsonResponse("Values", schema: Doc.ref("LokiStrings"))])
            ],
            "/loki/api/v1/series": [
                "get": operation("lokiSeries", "Streams whose labels match", parameters: [
                    parameter("match[]", schema: ["type": "array", "items": ["type": "string"]]), tenant,
                ] + range, responses: [
                    "200": Doc.jsonResponse("Label sets", schema: [
                        "type": "object", "required": ["status", "data"],
                        "properties": ["status": ["type": "string"], "data": ["type": "array", "items": ["type": "object", "additionalProperties": ["type": "string"]]]],
                    ]),
                ])
            ],
            "/v1/logs/trace/{trace_id}": [
                "get": Doc.operation("logTrace", "Every line of one trace, in time order", tag: "logs", parameters: [
                    ["name": "trace_id", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"]],
                ], responses: ["200": Doc.jsonResponse("The trace's lines", schema: Doc.ref("LogTrace"))])
            ],
            "/v1/logs/alerts": [
                "post": Doc.operation("createLogAlert", "Make an alert on a log query's count over a window", tag: "logs", body: Doc.ref("LogAlertRequest"), parameters: [tenant], responses: [
                    "201": Doc.jsonResponse("The alert", schema: Doc.ref("LogAlert")),
                    "409": Doc.problemResponse("An alert of the tenant has the name"),
                ]),
                "get": Doc.operation("listLogAlerts", "The tenant's alerts", tag: "logs", parameters: [tenant], responses: [
                    "200": Doc.jsonResponse("The alerts", schema: Doc.object(["items": ["type": "array", "items": Doc.ref("LogAlert")]])),
                ]),
            ],
            "/v1/logs/alerts/{id}": [
                "get": Doc.operation("getLogAlert", "One alert", tag: "logs", parameters: [Doc.idParameter(), tenant], responses: [
                    "200": Doc.jsonResponse("The alert", schema: Doc.ref("LogAlert")), "404": Doc.problemResponse("No such alert of the tenant"),
                ]),
                "delete": Doc.operation("deleteLogAlert", "Remove an alert", tag: "logs", parameters: [Doc.idParameter(), tenant], responses: [
                    "204": ["description": "Removed"], "404": Doc.problemResponse("No such alert of the tenant"),
                ]),
            ],
            "/loki/api/v1/status/buildinfo": [
                "get": operation("lokiBuildInfo", "The Loki version Apus answers as", responses: [
                    "200": Doc.jsonResponse("Build information", schema: ["type": "object", "required": ["version"], "properties": ["version": ["type": "string"]]]),
                ])
            ],
        ],
        schemas: [
            "LokiPush": [
                "type": "object", "required": ["streams"],
                "properties": [
                    "streams": [
                        "type": "array",
                        "items": [
                            "type": "object", "required": ["stream", "values"],
                            "properties": [
                                "stream": ["type": "object", "additionalProperties": ["type": "string"]],
                                "values": ["type": "array", "items": ["type": "array", "minItems": 2, "maxItems": 3]],
                            ],
                        ],
                    ],
                ],
            ],
            "LokiQueryResult": [
                "type": "object", "required": ["status", "data"],
                "properties": [
                    "status": ["type": "string", "enum": ["success"]],
                    "data": [
                        "type": "object", "required": ["resultType", "result"],
                        "properties": [
                            "resultType": ["type": "string", "enum": ["streams", "matrix", "vector"]],
                            "result": ["type": "array", "items": ["type": "object"]],
                        ],
                    ],
                ],
            ],
            "BulkResponse": [
                "type": "object", "required": ["took", "errors", "items"],
                "properties": [
                    "took": ["type": "integer"], "errors": ["type": "boolean"],
                    "items": ["type": "array", "items": ["type": "object", "additionalProperties": ["type": "object", "required": ["status"], "properties": ["status": ["type": "integer"]]]]],
                ],
            ],
            "ElasticsearchError": [
                "type": "object", "required": ["error", "status"],
                "properties": [
                    "status": ["type": "integer"],
                    "error": ["type": "object", "required": ["type", "reason"], "properties": ["type": ["type": "string"], "reason": ["type": "string"], "root_cause": ["type": "array"]]],
                ],
            ],
            "LogAlertRequest": [
                "type": "object", "required": ["name", "query", "window", "threshold"],
                "properties": [
                    "name": ["type": "string", "minLength": 1, "maxLength": 200],
                    "query": ["type": "string", "description": "A log query: a stream selector with line filters, parsers and label filters."],
                    "window": ["type": "string", "description": "A duration of whole seconds, 10s to 24h (5m)."],
                    "threshold": ["type": "integer", "minimum": 1, "maximum": 1_000_000_000],
                    "cooldown": ["type": "string", "description": "A duration up to 7d (15m unless given)."],
                ],
            ],
            "LogAlert": Doc.object([
                "id": ["type": "string"], "name": ["type": "string"], "query": ["type": "string"], "window": ["type": "string"],
                "threshold": ["type": "integer"], "cooldown": ["type": "string"], "created_at": Doc.time, "last_fired_at": ["type": ["string", "null"], "format": "date-time"],
            ], optional: ["last_fired_at"]),
            "LogTrace": [
                "type": "object", "required": ["trace_id", "lines"],
                "properties": [
                    "trace_id": ["type": "string"],
                    "lines": [
                        "type": "array",
                        "items": [
                            "type": "object", "required": ["time", "timestamp", "labels", "line", "metadata"],
                            "properties": [
                                "time": Doc.time, "timestamp": ["type": "string", "pattern": "^[0-9]+$"], "line": ["type": "string"],
                                "labels": ["type": "object", "additionalProperties": ["type": "string"]],
                                "metadata": ["type": "object", "additionalProperties": ["type": "string"]],
                            ],
                        ],
                    ],
                ],
            ],
            "LokiStrings": [
                "type": "object", "required": ["status", "data"],
                "properties": ["status": ["type": "string"], "data": ["type": "array", "items": ["type": "string"]]],
            ],
        ],
        tags: [["name": "logs", "description": "Log lines through Loki's push and query API"]]
    )
}
