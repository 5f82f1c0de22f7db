public import Hummingbird

/// A list answer: `{ "items": [...], "next_cursor": ... }`.
public struct Page<Item: Encodable & Sendable>: Encodable, ResponseEncodable, Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Always present, null on the last page, as the list convention says.
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor
    }
}

extension Request {
    /// `?limit=` within 1...100 (default 50); a 400 problem otherwise.
    public func pageLimit() throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return 50 }
        guard let limit = Int(text), (1...100).contains(limit) else { throw Problem.badRequest("limit must be an integer from 1 to 100.") }
        return limit
    }
}
