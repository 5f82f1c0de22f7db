import ApusCore

/// The links module's part of the OpenAPI document.
enum LinksOpenAPI {
    typealias Doc = OpenAPIDocument

    static func operation(_ id: String, _ summary: String, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]) -> JSONValue {
        Doc.operation(id, summary, tag: "links", body: body, parameters: parameters, responses: responses)
    }

    static let noNUL = Doc.noNUL
    static let time = Doc.time
    static let codeParameter: JSONValue = ["name": "code", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"]]
    static let tags: JSONValue = ["type": "array", "maxItems": 20, "items": ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"]]

    static let fragment = OpenAPIFragment(
        paths: [
            "/v1/links": [
                "post": operation("createLink", "Shorten a URL", body: Doc.ref("CreateLink"), responses: [
                    "201": Doc.jsonResponse("The new link", schema: Doc.ref("Link")),
                    "409": Doc.problemResponse("Alias taken"),
                ]),
                "get": operation("listLinks", "Your links (an admin's: all)", parameters: [
                    ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100]],
                    ["name": "cursor", "in": "query", "schema": ["type": "string", "pattern": "^[A-Za-z0-9_-]{0,64}$"]],
                    ["name": "tag", "in": "query", "schema": ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"]],
                ], responses: [
                    "200": Doc.jsonResponse("A page of links", schema: Doc.page(of: Doc.ref("Link"))),
                ]),
            ],
            "/v1/links/{code}": [
                "get": operation("getLink", "One of your links", parameters: [codeParameter], responses: [
                    "200": Doc.jsonResponse("The link", schema: Doc.ref("Link")), "404": Doc.problemResponse("No such link of yours"),
                ]),
                "patch": operation("updateLink", "Change a link", body: Doc.ref("PatchLink"), parameters: [codeParameter], responses: [
                    "200": Doc.jsonResponse("The link", schema: Doc.ref("Link")), "404": Doc.problemResponse("No such link of yours"),
                ]),
                "delete": operation("deleteLink", "Delete a link and its clicks", parameters: [codeParameter], responses: [
                    "204": ["description": "Deleted"], "404": Doc.problemResponse("No such link of yours"),
                ]),
            ],
            "/v1/links/{code}/stats": [
                "get": operation("linkStats", "Click statistics", parameters: [
                    codeParameter,
                    ["name": "from", "in": "query", "schema": time],
                    ["name": "to", "in": "query", "schema": time],
                    ["name": "interval", "in": "query", "schema": ["type": "string", "enum": ["hour", "day"]]],
                ], responses: [
                    "200": Doc.jsonResponse("Totals, a time series and top lists", schema: Doc.ref("LinkStats")),
                    "404": Doc.problemResponse("No such link of yours"),
                ]),
            ],
            "/{code}": [
                "get": [
                    "operationId": "followLink", "summary": "Redirect to the link's URL", "tags": ["links"], "security": [],
                    "parameters": [codeParameter],
                    "responses": [
                        "301": ["description": "Permanent redirect", "headers": ["Location": ["schema": ["type": "string"]]]],
                        "302": ["description": "Temporary redirect", "headers": ["Location": ["schema": ["type": "string"]]]],
                        "401": Doc.problemResponse("Credentials were sent and are invalid"),
                        "404": Doc.problemResponse("No such link"),
                        "410": Doc.problemResponse("Expired or out of visits"),
                        "429": Doc.problemResponse("Rate limited"),
                    ],
                ]
            ],
        ],
        schemas: [
            "CreateLink": [
                "type": "object", "required": ["url"],
                "properties": [
                    "url": ["type": "string", "format": "uri", "maxLength": 8192, "pattern": noNUL],
                    "alias": ["type": "string", "pattern": "^[A-Za-z0-9_-]{3,64}$"],
                    "expires_at": time, "max_visits": ["type": "integer", "minimum": 1], "tags": tags,
                    "redirect": ["type": "integer", "enum": [301, 302]],
                ],
            ],
            "PatchLink": [
                "type": "object",
                "properties": [
                    "url": ["type": "string", "format": "uri", "maxLength": 8192, "pattern": noNUL], "expires_at": time,
                    "max_visits": ["type": "integer", "minimum": 1], "tags": tags, "redirect": ["type": "integer", "enum": [301, 302]],
                ],
            ],
            "Link": [
                "type": "object",
                "required": ["code", "short_url", "url", "redirect", "visits", "tags", "owner_id", "created_at", "updated_at"],
                "properties": [
                    "code": ["type": "string"], "short_url": ["type": "string"], "url": ["type": "string"],
                    "redirect": ["type": "integer"], "expires_at": time, "max_visits": ["type": "integer"], "visits": ["type": "integer"],
                    "tags": ["type": "array", "items": ["type": "string"]], "owner_id": ["type": "string"], "created_at": time, "updated_at": time,
                ],
            ],
            "LinkStats": [
                "type": "object",
                "required": ["code", "from", "to", "interval", "clicks", "unique_visitors", "bots", "series", "referrers", "browsers", "devices", "countries"],
                "properties": [
                    "code": ["type": "string"], "from": time, "to": time, "interval": ["type": "string"],
                    "clicks": ["type": "integer"], "unique_visitors": ["type": "integer"], "bots": ["type": "integer"],
                    "series": ["type": "array", "items": ["type": "object", "properties": ["at": ["type": "string"], "clicks": ["type": "integer"]]]],
                    "referrers": share, "browsers": share, "devices": share, "countries": share,
                ],
            ],
        ],
        tags: [["name": "links", "description": "Short links and their clicks"]]
    )

    static let share: JSONValue = ["type": "array", "items": ["type": "object", "properties": ["name": ["type": "string"], "clicks": ["type": "integer"]]]]
}
