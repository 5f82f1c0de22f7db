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

extension Page {
    /// The page of `fetched`, rows read with a limit of `limit + 1`: the extra row only tells
    /// that there is a next page, whose cursor is `cursor` of the last item shown.
    public init(fetched: [Item], limit: Int, cursor: (Item) -> String) {
        self.init(items: Array(fetched.prefix(limit)), nextCursor: fetched.count > limit ? cursor(fetched[limit - 1]) : nil)
    }
}

extension Request {
    /// `?cursor=` as given by a previous page; a 400 problem when it cannot be one. `isValid`
    /// tells the shape of the module's cursors (opaque ids by default).
    public func pageCursor(_ isValid: (Substring) -> Bool = { OpaqueID.isWellFormed($0) }) throws -> String? {
        guard let cursor = uri.queryParameters.get("cursor"), !cursor.isEmpty else { return nil }
        guard isValid(Substring(cursor)) else { throw Problem.badRequest("cursor is not one this API handed out.") }
        return cursor
    }
}

extension ApusRequestContext {
    /// The path parameter `name` as an id; a malformed one is a 404, like an unknown one.
    public func requireID(_ name: String, kind: String) throws -> String {
        let id = try parameters.require(name)
        guard OpaqueID.isWellFormed(id) else { throw Problem.notFound("No \(kind) \(id).") }
        return id
    }

    /// `201 Created` with `value` as the body and `Location: location`.
    public func created(_ value: some ResponseEncodable, at location: String, for request: Request) throws -> Response {
        try located(.created, value, at: location, for: request)
    }

    /// `202 Accepted` with `value` as the body and `Location: location`, where the client follows
    /// the work it started.
    public func accepted(_ value: some ResponseEncodable, at location: String, for request: Request) throws -> Response {
        try located(.accepted, value, at: location, for: request)
    }

    private func located(_ status: HTTPResponse.Status, _ value: some ResponseEncodable, at location: String, for request: Request) throws -> Response {
        var response = try responseEncoder.encode(value, from: request, context: self)
        response.status = status
        response.headers[.location] = location
        return response
    }
}

extension Principal {
    /// Whether the caller may see or change what `ownerID` owns: its owner, or an admin. Anything
    /// else answers 404, as if it did not exist.
    public func mayAccess(ownedBy ownerID: String?) -> Bool {
        isAdmin || ownerID == userID
    }

    /// The owner whose items a list shows this caller: their own, or everyone's (`nil`) for an
    /// admin.
    public var listedOwner: String? { isAdmin ? nil : userID }
}
