extension OpenAPIDocument {
    /// An operation with the responses every API route can give besides its own: 400, 429, and
    /// for a signed-in route 401 and 403 (for a public one, 401 when bad credentials are sent);
    /// with a JSON body, 413 and 422. `bodyRequired: false` says the body may be left out.
    public static func operation(
        _ id: String, _ summary: String, tag: String, secured: Bool = true, body: JSONValue? = nil, bodyRequired: Bool = true,
        parameters: [JSONValue] = [], responses: [String: JSONValue]
    ) -> JSONValue {
        var responses = responses
        if secured {
            if responses["401"] == nil { responses["401"] = problemResponse("Missing, invalid or revoked credentials") }
            if responses["403"] == nil { responses["403"] = problemResponse("Not allowed") }
        } else if responses["401"] == nil {
            responses["401"] = problemResponse("Credentials were sent and are invalid")
        }
        responses["429"] = problemResponse("Rate limited")
        if responses["400"] == nil { responses["400"] = problemResponse("Bad request") }
        if body != nil {
            responses["413"] = problemResponse("Body too large")
            responses["422"] = problemResponse("Invalid fields")
        }
        var operation: [String: JSONValue] = [
            "operationId": .string(id), "summary": .string(summary), "tags": .array([.string(tag)]),
            "security": secured ? [["bearerAuth": []]] : [], "responses": .object(responses),
        ]
        if let body { operation["requestBody"] = ["required": .bool(bodyRequired), "content": ["application/json": ["schema": body]]] }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        return .object(operation)
    }
}
