/// An event type a module emits, declared by the module (``Module/events``) so the platform
/// knows every type before any is written: webhook subscriptions are checked against them, the
/// OpenAPI document and the README list them, and emitting a type no module declared fails.
public struct EventDeclaration: Sendable, Equatable {
    /// The type, starting with the module's name (`links.link.created`).
    public var type: String
    /// One line on when it is emitted.
    public var summary: String
    /// The JSON schema of its payload (the `data` a webhook receives).
    public var payload: JSONValue

    public init(_ type: String, summary: String, payload: JSONValue) {
        self.type = type
        self.summary = summary
        self.payload = payload
    }
}
