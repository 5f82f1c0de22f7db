/// The identity endpoints' part of the OpenAPI document.
enum IdentityOpenAPI {
    typealias Doc = OpenAPIDocument

    static func operation(
        _ id: String, _ summary: String, secured: Bool = true, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]
    ) -> JSONValue {
        Doc.operation(id, summary, tag: "identity", secured: secured, body: body, parameters: parameters, responses: responses)
    }

    static let idParameter: JSONValue = ["name": "id", "in": "path", "required": true, "schema": ["type": "string"]]
    static let noContent: JSONValue = ["description": "Done"]

    /// The fragment, with `scopes` limited to the permissions the node knows.
    static func fragment(permissions: [String]) -> OpenAPIFragment {
        var fragment = base
        fragment.schemas["Scope"] = ["type": "string", "enum": .array(permissions.sorted().map { .string($0) })]
        return fragment
    }

    private static let base = OpenAPIFragment(
        paths: [
            "/v1/auth/register": ["post": operation("register", "Create an account", secured: false, body: Doc.ref("Credentials"), responses: [
                "201": Doc.jsonResponse("The new account", schema: Doc.ref("User")),
                "409": Doc.problemResponse("Email taken"),
            ])],
            "/v1/auth/login": ["post": operation("login", "Sign in", secured: false, body: Doc.ref("Credentials"), responses: [
                "200": Doc.jsonResponse("A token pair", schema: Doc.ref("TokenPair")),
                "401": Doc.problemResponse("Wrong email or password"),
            ])],
            "/v1/auth/refresh": ["post": operation("refresh", "Trade a refresh token for a new pair", secured: false, body: Doc.ref("RefreshRequest"), responses: [
                "200": Doc.jsonResponse("A new token pair", schema: Doc.ref("TokenPair")),
                "401": Doc.problemResponse("Invalid, expired or reused refresh token"),
            ])],
            "/v1/auth/me": ["get": operation("me", "The signed-in user", responses: ["200": Doc.jsonResponse("The user", schema: Doc.ref("User"))])],
            "/v1/auth/logout": ["post": operation("logout", "End this session", responses: [
                "204": noContent,
            ])],
            "/v1/auth/logout-all": ["post": operation("logoutAll", "End every session", responses: ["204": noContent])],
            "/v1/auth/sessions": ["get": operation("listSessions", "Live sessions", responses: [
                "200": Doc.jsonResponse("Sessions", schema: page(Doc.ref("Session"))),
            ])],
            "/v1/auth/sessions/{id}": ["delete": operation("endSession", "End one session", parameters: [idParameter], responses: [
                "204": noContent, "404": Doc.problemResponse("No such live session"),
            ])],
            "/v1/users": ["get": operation("listUsers", "Every user (admin)", parameters: [
                ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100]],
                ["name": "cursor", "in": "query", "schema": ["type": "string", "pattern": "^([a-z]+_[0-9A-Za-z]+)?$"]],
            ], responses: [
                "200": Doc.jsonResponse("A page of users", schema: page(Doc.ref("User"))),
                "400": Doc.problemResponse("Bad limit"),
            ])],
            "/v1/users/{id}": [
                "get": operation("getUser", "One user (admin)", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The user", schema: Doc.ref("User")), "404": Doc.problemResponse("No such user"),
                ]),
                "patch": operation("updateUser", "Change roles or disable (admin)", body: Doc.ref("UserPatch"), parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The user", schema: Doc.ref("User")), "404": Doc.problemResponse("No such user"),
                ]),
                "delete": operation("deleteUser", "Delete a user (admin)", parameters: [idParameter], responses: [
                    "204": noContent, "404": Doc.problemResponse("No such user"),
                    "409": Doc.problemResponse("The last active admin"),
                ]),
            ],
            "/v1/api-keys": [
                "post": operation("createAPIKey", "Create an API key (shown once)", body: Doc.ref("APIKeyRequest"), responses: [
                    "201": Doc.jsonResponse("The key with its secret", schema: Doc.ref("CreatedAPIKey")),
                ]),
                "get": operation("listAPIKeys", "Your API keys", responses: ["200": Doc.jsonResponse("Keys", schema: page(Doc.ref("APIKey")))]),
            ],
            "/v1/api-keys/{id}": ["delete": operation("deleteAPIKey", "Delete an API key", parameters: [idParameter], responses: [
                "204": noContent, "404": Doc.problemResponse("No such key"),
            ])],
            "/.well-known/jwks.json": ["get": [
                "operationId": "jwks", "summary": "Public keys that verify access tokens", "tags": ["identity"], "security": [],
                "responses": [
                    "200": Doc.jsonResponse("A JSON Web Key Set", schema: Doc.ref("JWKS")),
                    "401": Doc.problemResponse("Credentials were sent and are invalid"),
                ],
            ]],
        ],
        schemas: [
            "Credentials": object(["email": ["type": "string", "format": "email", "maxLength": 254], "password": ["type": "string", "minLength": 8, "maxLength": 128, "pattern": noNUL]]),
            "RefreshRequest": object(["refresh_token": ["type": "string", "pattern": noNUL]]),
            "TokenPair": object([
                "access_token": ["type": "string"], "token_type": ["type": "string", "enum": ["Bearer"]],
                "expires_in": ["type": "integer"], "refresh_token": ["type": "string"],
            ]),
            "User": object([
                "id": ["type": "string"], "email": ["type": "string"], "roles": ["type": "array", "items": Doc.ref("Role")],
                "disabled": ["type": "boolean"], "created_at": time, "updated_at": time,
            ]),
            "Role": Doc.enumeration(Role.self),
            "UserPatch": ["type": "object", "properties": [
                "roles": ["type": ["array", "null"], "items": Doc.ref("Role"), "minItems": 1, "description": "null or absent: unchanged"],
                "disabled": ["type": ["boolean", "null"], "description": "null or absent: unchanged"],
            ]],
            "Session": object(["id": ["type": "string"], "user_agent": ["type": ["string", "null"]], "created_at": time, "last_used_at": time, "current": ["type": "boolean"]], optional: ["user_agent"]),
            "APIKeyRequest": object(["name": ["type": "string", "minLength": 1, "maxLength": 100, "pattern": noNUL], "scopes": ["type": "array", "items": Doc.ref("Scope"), "minItems": 1], "expires_at": ["type": ["string", "null"], "format": "date-time", "description": "Must be in the future; null or absent: never"]], optional: ["expires_at"]),
            "APIKey": object(["id": ["type": "string"], "name": ["type": "string"], "prefix": ["type": "string"], "scopes": ["type": "array", "items": ["type": "string"]], "expires_at": time, "last_used_at": time, "created_at": time], optional: ["expires_at", "last_used_at"]),
            "CreatedAPIKey": object(["id": ["type": "string"], "name": ["type": "string"], "prefix": ["type": "string"], "scopes": ["type": "array", "items": ["type": "string"]], "expires_at": time, "created_at": time, "key": ["type": "string"]], optional: ["expires_at"]),
            "JWKS": object(["keys": ["type": "array", "items": ["type": "object"]]]),
        ],
        tags: [["name": "identity", "description": "Accounts, sessions, tokens and API keys"]]
    )

    static let noNUL = Doc.noNUL
    static let time = Doc.time

    static func object(_ properties: [String: JSONValue], optional: Set<String> = []) -> JSONValue {
        Doc.object(properties, optional: optional)
    }

    static func page(_ item: JSONValue) -> JSONValue {
        Doc.page(of: item)
    }
}
