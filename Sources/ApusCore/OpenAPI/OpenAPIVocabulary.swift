/// The schema pieces every module's part of the document is made of, defined once.
extension OpenAPIDocument {
    /// Text fields never hold NUL (PostgreSQL cannot store it; decoding refuses it with a 422).
    public static let noNUL: JSONValue = "^[^\\u0000]*$"

    /// An RFC 3339 time in UTC.
    public static let time: JSONValue = ["type": "string", "format": "date-time"]

    /// An RFC 3339 time, or null.
    public static let optionalTime: JSONValue = ["type": ["string", "null"], "format": "date-time"]

    /// Text of at most `maxLength` characters without NUL.
    public static func text(maxLength: Int) -> JSONValue {
        ["type": "string", "maxLength": .number(Double(maxLength)), "pattern": noNUL]
    }

    /// Text of at most `maxLength` characters without NUL, or null.
    public static func optionalText(maxLength: Int) -> JSONValue {
        ["type": ["string", "null"], "maxLength": .number(Double(maxLength)), "pattern": noNUL]
    }

    /// The string enum of every case of `type`, so the document cannot drift from the code.
    public static func enumeration<Value: CaseIterable & RawRepresentable>(_ type: Value.Type) -> JSONValue where Value.RawValue == String {
        ["type": "string", "enum": .array(type.allCases.map { .string($0.rawValue) })]
    }

    /// An object with `properties`, all required but `optional`.
    public static func object(_ properties: [String: JSONValue], optional: Set<String> = []) -> JSONValue {
        ["type": "object", "required": .array(properties.keys.filter { !optional.contains($0) }.sorted().map { .string($0) }), "properties": .object(properties)]
    }

    /// A list answer, `{ "items": [...], "next_cursor": ... }` (see ``Page``).
    public static func page(of item: JSONValue) -> JSONValue {
        object(["items": ["type": "array", "items": item], "next_cursor": ["type": ["string", "null"]]])
    }

    /// The pattern of opaque ids (``OpaqueID``).
    public static let idPattern: JSONValue = "^[a-z]{1,8}_[A-Za-z0-9]{1,40}$"

    /// The path parameter `name`, an opaque id.
    public static func idParameter(_ name: String = "id") -> JSONValue {
        ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string", "pattern": idPattern]]
    }

    /// `?limit=` (1-100).
    public static let limitParameter: JSONValue = ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 100]]

    /// `?cursor=` of a list paged by opaque id (empty: the first page, as ``Request/pageCursor(_:)`` reads it).
    public static let idCursorParameter: JSONValue = ["name": "cursor", "in": "query", "schema": ["type": "string", "pattern": "^([a-z]{1,8}_[A-Za-z0-9]{1,40})?$"]]
}
