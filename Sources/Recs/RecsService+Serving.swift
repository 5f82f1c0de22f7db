import ApusCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A list of recommendations with each item's JSON written once: a stored list is rendered
/// when it enters the node's cache, so an answer only joins the fragments it serves. (Writing
/// each item's JSON per request, its score's digits above all, was the route's largest cost.)
struct RenderedList: Sendable {
    let items: [Recommendation]
    /// `{"item":…,"score":…}` of each item, in order.
    let fragments: [String]

    init(_ items: [Recommendation]) {
        self.items = items
        fragments = items.map(Self.fragment)
    }

    private init(items: [Recommendation], fragments: [String]) {
        self.items = items
        self.fragments = fragments
    }

    static let empty = RenderedList([])

    var isEmpty: Bool { items.isEmpty }

    /// The items `keep` keeps, with their fragments.
    func filter(_ keep: (Recommendation) -> Bool) -> RenderedList {
        var items: [Recommendation] = []
        var fragments: [String] = []
        for (item, fragment) in zip(self.items, self.fragments) where keep(item) {
            items.append(item)
            fragments.append(fragment)
        }
        return RenderedList(items: items, fragments: fragments)
    }

    func prefix(_ count: Int) -> RenderedList {
        RenderedList(items: Array(items.prefix(count)), fragments: Array(fragments.prefix(count)))
    }

    static func fragment(_ item: Recommendation) -> String {
        #"{"item":"# + JSONStringLiteral.quoted(item.item) + #","score":"# + (item.score.isFinite ? "\(item.score)" : "0") + "}"
    }
}

/// What a client gets: the items, the model that served them, and whether the list was the
/// user's (or item's) own or the popularity fallback.
struct ServedList: Sendable {
    var list: RenderedList
    var model: String?
    var strategy: String

    /// The answer, written directly from the list's fragments: Foundation's encoder took more
    /// CPU than the rest of the request together (`bench/recs.sh`), and the shape is fixed.
    /// Ids are checked on the way in, but every string is escaped all the same.
    var response: Response {
        let buffer = body
        return Response(
            status: .ok, headers: [.contentType: "application/json", .contentLength: String(buffer.readableBytes)], body: .init(byteBuffer: buffer)
        )
    }

    var body: ByteBuffer {
        let tail = (model.map { #","model":"# + JSONStringLiteral.quoted($0) } ?? "") + #","strategy":"# + JSONStringLiteral.quoted(strategy) + "}"
        var buffer = ByteBuffer()
        buffer.reserveCapacity(list.fragments.reduce(12 + tail.utf8.count) { $0 + $1.utf8.count + 1 })
        buffer.writeStaticString(#"{"items":["#)
        for (index, fragment) in list.fragments.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeString(fragment)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        buffer.writeString(tail)
        return buffer
    }

    var json: String { String(buffer: body) }
}

/// `category:<name>`: keep only items of that category.
struct ItemFilter: Sendable, Equatable {
    var category: String

    init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0] == "category", !parts[1].isEmpty else { return nil }
        category = String(parts[1])
    }
}

extension RecsService {
    /// A precomputed list, rendered, through this node's cache.
    func storedList(model: String, subject: String) async throws -> RenderedList? {
        try await lists.value(for: "\(model)|\(subject)") { [models, platform] in
            guard let text = try await platform.read.primary({ sql in try await models.list(model: model, subject: subject, on: sql) }) else { return nil }
            return RenderedList(try RecsJSON.decode([Recommendation].self, text))
        }
    }

    /// `user`'s recommendations from the published model; a user it has no list for gets the
    /// popularity list, without what the user has seen when `excludeSeen`.
    ///
    /// Stored lists leave out what the user has, so `excludeSeen: false` (rare: "buy again")
    /// scores the user's list at request time, seen items included, as a fold-in does.
    func recommendations(for user: String, limit: Int, excludeSeen: Bool, filter: ItemFilter?) async throws -> ServedList {
        guard let current = try await current() else { return ServedList(list: .empty, model: nil, strategy: "none") }
        if let own = try await storedList(model: current.id, subject: "u:\(user)") {
            metrics.served(personally: true)
            let list = if !excludeSeen, let scored = try await foldedList(user, model: current, includingSeen: true) { RenderedList(scored) } else { own }
            return ServedList(list: try await filtered(list, filter, limit: limit), model: current.id, strategy: "personal")
        }
        var popular = try await storedList(model: current.id, subject: "popular") ?? .empty
        if excludeSeen {
            let seen = try await platform.read { [interactions] sql in try await interactions.seenItems(of: user, on: sql) }
            popular = popular.filter { !seen.contains($0.item) }
        }
        metrics.served(personally: false)
        return ServedList(list: try await filtered(popular, filter, limit: limit), model: current.id, strategy: "popularity")
    }

    /// Items like `item`; an item the model has no neighbours for gets the popularity list.
    func similar(to item: String, limit: Int, filter: ItemFilter?) async throws -> ServedList {
        guard let current = try await current() else { return ServedList(list: .empty, model: nil, strategy: "none") }
        if let own = try await storedList(model: current.id, subject: "i:\(item)"), !own.isEmpty {
            return ServedList(list: try await filtered(own, filter, limit: limit), model: current.id, strategy: "personal")
        }
        let popular = (try await storedList(model: current.id, subject: "popular") ?? .empty).filter { $0.item != item }
        return ServedList(list: try await filtered(popular, filter, limit: limit), model: current.id, strategy: "popularity")
    }

    private func filtered(_ list: RenderedList, _ filter: ItemFilter?, limit: Int) async throws -> RenderedList {
        guard let filter else { return list.prefix(limit) }
        let categories = try await platform.read { [interactions] sql in try await interactions.categories(of: list.items.map(\.item), on: sql) }
        return list.filter { categories[$0.item] == filter.category }.prefix(limit)
    }
}
