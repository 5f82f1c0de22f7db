/// The admin job routes' part of the OpenAPI document.
enum JobsOpenAPI {
    typealias Doc = OpenAPIDocument

    static let idParameter: JSONValue = ["name": "id", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991]]
    static let state = Doc.enumeration(JobState.self)

    static func operation(_ id: String, _ summary: String, parameters: [JSONValue], responses: [String: JSONValue]) -> JSONValue {
        Doc.operation(id, summary, tag: "jobs", parameters: parameters, responses: responses)
    }

    static let fragment = OpenAPIFragment(
        paths: [
            "/v1/jobs": [
                "get": operation("listJobs", "Jobs in a state (default: the dead-letter list), newest first", parameters: [
                    ["name": "state", "in": "query", "schema": state],
                    ["name": "kind", "in": "query", "schema": ["type": "string", "maxLength": 200, "pattern": "^[^\\u0000]*$"]],
                    ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100]],
                    ["name": "cursor", "in": "query", "schema": ["type": "string", "pattern": "^[1-9][0-9]{0,15}$"]],
                ], responses: [
                    "200": Doc.jsonResponse("A page of jobs", schema: [
                        "type": "object", "required": ["items", "next_cursor"],
                        "properties": ["items": ["type": "array", "items": Doc.ref("Job")], "next_cursor": ["type": ["string", "null"]]],
                    ])
                ])
            ],
            "/v1/jobs/{id}": [
                "get": operation("getJob", "A job with its failed attempts", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The job", schema: Doc.ref("Job")), "404": Doc.problemResponse("No such job"),
                ])
            ],
            "/v1/jobs/{id}/replay": [
                "post": operation("replayJob", "Queue a dead job again with fresh attempts", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The job", schema: Doc.ref("Job")), "404": Doc.problemResponse("No such job"),
                    "409": Doc.problemResponse("Not dead"),
                ])
            ],
        ],
        schemas: [
            "Job": [
                "type": "object",
                "required": ["id", "kind", "payload", "state", "priority", "attempts", "max_attempts", "run_at", "created_at", "errors"],
                "properties": [
                    "id": ["type": "integer"], "kind": ["type": "string"], "payload": ["type": "string"], "state": state,
                    "priority": ["type": "integer"], "attempts": ["type": "integer"], "max_attempts": ["type": "integer"],
                    "run_at": ["type": "string"], "last_error": ["type": "string"], "idempotency_key": ["type": "string"],
                    "created_at": ["type": "string"], "finished_at": ["type": "string"],
                    "errors": ["type": "array", "items": [
                        "type": "object", "properties": ["attempt": ["type": "integer"], "at": ["type": "string"], "error": ["type": "string"]],
                    ]],
                ],
            ]
        ],
        tags: [["name": "jobs", "description": "The job queue's dead letters and replay (admins)"]]
    )
}
