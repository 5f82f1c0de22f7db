import ApusCore

/// The recommendations module's part of the OpenAPI document.
enum RecsOpenAPI {
    typealias Doc = OpenAPIDocument

    static func operation(_ id: String, _ summary: String, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]) -> JSONValue {
        Doc.operation(id, summary, tag: "recs", body: body, parameters: parameters, responses: responses)
    }

    /// User and item ids: what a URL carries unencoded, so any id can be asked for by path.
    static let id: JSONValue = ["type": "string", "pattern": .string(RecsRoutes.idPattern)]
    static func path(_ name: String) -> JSONValue { ["name": .string(name), "in": "path", "required": true, "schema": id] }
    static func nullable(_ type: String, _ constraints: [String: JSONValue] = [:]) -> JSONValue {
        var schema: [String: JSONValue] = ["type": [.string(type), "null"]]
        for (key, value) in constraints { schema[key] = value }
        return .object(schema)
    }
    static let modelID: JSONValue = ["name": "id", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"]]
    static let serving: [JSONValue] = [
        ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100]],
        ["name": "filter", "in": "query", "schema": ["type": "string", "pattern": "^category:.+$"]],
    ]
    static let number: JSONValue = ["type": "number"]

    static let fragment = OpenAPIFragment(
        paths: [
            "/v1/recs/interactions": [
                "post": operation("recordInteractions", "Record what users did with items", body: Doc.ref("InteractionBatch"), responses: [
                    "202": Doc.jsonResponse("Stored; the users' lists follow", schema: [
                        "type": "object", "required": ["accepted", "stored"],
                        "properties": ["accepted": ["type": "integer"], "stored": ["type": "integer"]],
                    ]),
                ]),
            ],
            "/v1/recs/items/{item}": [
                "put": operation("describeItem", "Set an item's category, tags and creation time", body: Doc.ref("ItemMetadata"), parameters: [path("item")], responses: [
                    "200": Doc.jsonResponse("The item's metadata", schema: Doc.ref("ItemMetadataView")),
                ]),
            ],
            "/v1/recs/users/{user}": [
                "get": operation("recommendForUser", "Items for a user, from the published model", parameters: [path("user")] + serving + [
                    ["name": "exclude_seen", "in": "query", "schema": ["type": "boolean"], "description": "Leave out items the user has (the default); false scores them too."],
                ], responses: [
                    "200": Doc.jsonResponse("The user's list, or the popularity list for a user the model has none for", schema: Doc.ref("RecommendationList")),
                ]),
            ],
            "/v1/recs/items/{item}/similar": [
                "get": operation("similarItems", "Items like an item", parameters: [path("item")] + serving, responses: [
                    "200": Doc.jsonResponse("The item's neighbours, or the popularity list", schema: Doc.ref("RecommendationList")),
                ]),
            ],
            "/v1/recs/models": [
                "post": operation("trainModel", "Train a model; it is published if it passes the hold-out gate", body: Doc.ref("TrainingRequest"), responses: [
                    "202": Doc.jsonResponse("The model, queued", schema: Doc.ref("RecsModel")),
                ]),
                "get": operation("listModels", "Trained models, newest first", parameters: [
                    ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100]],
                    ["name": "cursor", "in": "query", "schema": ["type": "string", "pattern": "^[A-Za-z0-9_-]{0,64}$"]],
                ], responses: [
                    "200": Doc.jsonResponse("A page of models", schema: Doc.page(of: Doc.ref("RecsModel"))),
                ]),
            ],
            "/v1/recs/models/{id}": [
                "get": operation("getModel", "A model: its parameters, status, evaluation and timings", parameters: [modelID], responses: [
                    "200": Doc.jsonResponse("The model", schema: Doc.ref("RecsModel")), "404": Doc.problemResponse("No such model"),
                ]),
            ],
            "/v1/recs/models/{id}/publish": [
                "post": operation("publishModel", "Serve an earlier model again", parameters: [modelID], responses: [
                    "200": Doc.jsonResponse("The model, now current", schema: Doc.ref("RecsModel")),
                    "404": Doc.problemResponse("No such model"),
                    "409": Doc.problemResponse("The model was never published, or its lists were removed (APUS_RECS_KEEP_MODELS)"),
                ]),
            ],
        ],
        schemas: [
            "InteractionBatch": [
                "type": "object", "required": ["interactions"],
                "properties": ["interactions": ["type": "array", "minItems": 1, "maxItems": 1000, "items": [
                    "type": "object", "required": ["user", "item", "kind", "at"],
                    "properties": [
                        "user": id, "item": id, "kind": ["type": "string", "enum": ["view", "like", "cart", "purchase", "rating"]],
                        "weight": nullable("number", ["minimum": 0, "maximum": 1_000_000]), "at": Doc.time,
                    ],
                ]]],
            ],
            "ItemMetadata": [
                "type": "object",
                "properties": [
                    "category": nullable("string", ["minLength": 1, "maxLength": 100]),
                    "tags": nullable("array", ["maxItems": 50, "items": ["type": "string", "minLength": 1, "maxLength": 100]]),
                    "created_at": ["anyOf": [Doc.time, ["type": "null"]]],
                ],
            ],
            "ItemMetadataView": [
                "type": "object", "required": ["item", "tags"],
                "properties": ["item": ["type": "string"], "category": ["type": "string"], "tags": ["type": "array", "items": ["type": "string"]], "created_at": Doc.time],
            ],
            "RecommendationList": [
                "type": "object", "required": ["items", "strategy"],
                "properties": [
                    "items": ["type": "array", "items": ["type": "object", "required": ["item", "score"], "properties": ["item": ["type": "string"], "score": number]]],
                    "model": ["type": "string", "description": "The published model that served the list; absent before any model is published."],
                    "strategy": ["type": "string", "enum": ["personal", "popularity", "none"]],
                ],
            ],
            "TrainingRequest": [
                "type": "object", "required": ["model"],
                "properties": [
                    "model": ["type": "string", "enum": ["als", "item_knn", "ease", "popularity"]],
                    "factors": nullable("integer", ["minimum": 1, "maximum": 512]),
                    "regularization": nullable("number", ["minimum": 0, "maximum": 1_000_000]),
                    "alpha": nullable("number", ["exclusiveMinimum": 0, "maximum": 1_000_000]),
                    "iterations": nullable("integer", ["minimum": 1, "maximum": 200]),
                    "seed": nullable("integer", ["minimum": 0, "maximum": 9_007_199_254_740_991]),
                    "neighbours": nullable("integer", ["minimum": 1, "maximum": 1000]),
                    "evaluate": ["type": ["boolean", "null"], "description": "Hold out each user's newest items, score the model and publish only past the gate (default); false trains on everything and publishes."],
                ],
            ],
            "RecsModel": [
                "type": "object", "required": ["id", "model", "status", "parameters", "steps", "created_at", "current"],
                "properties": [
                    "id": ["type": "string"], "model": ["type": "string"],
                    "status": ["type": "string", "enum": ["queued", "training", "published", "rejected", "failed", "retired"]],
                    "parameters": ["type": "object"],
                    "evaluation": ["type": "object", "properties": [
                        "ndcg_at_10": number, "precision_at_10": number, "recall_at_10": number, "coverage": number, "users": ["type": "integer"],
                    ]],
                    "stats": ["type": "object", "properties": [
                        "users": ["type": "integer"], "items": ["type": "integer"], "interactions": ["type": "integer"], "threads": ["type": "integer"],
                        "training_seconds": number, "seconds_per_iteration": number, "pipeline_seconds": number,
                    ]],
                    "steps": [
                        "type": "array",
                        "description": "The run's steps so far, each a job of its own: extract, transform, load, evaluate, train, publish.",
                        "items": [
                            "type": "object", "required": ["step", "state", "started_at", "metrics"],
                            "properties": [
                                "step": ["type": "string", "enum": ["extract", "transform", "load", "evaluate", "train", "publish"]],
                                "state": ["type": "string", "enum": ["running", "done", "skipped", "failed"]],
                                "started_at": Doc.time, "finished_at": Doc.time, "seconds": number,
                                "progress": ["type": "number", "minimum": 0, "maximum": 1],
                                "metrics": ["type": "object", "additionalProperties": number],
                            ],
                        ],
                    ],
                    "error": ["type": "string"], "created_at": Doc.time, "finished_at": Doc.time, "published_at": Doc.time, "current": ["type": "boolean"],
                ],
            ],
        ],
        tags: [["name": "recs", "description": "Recommendations: interactions in, models trained and evaluated, lists served"]]
    )
}
