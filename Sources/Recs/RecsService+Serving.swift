import ApusCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A list of recommendations with its items' JSON written once: a stored list is rendered
/// when it enters the node's cache, so an answer copies the bytes of the items it serves.
/// (Writing each item's JSON per request, its score's digits above all, was the route's largest
/// cost.) The items are kept joined, with where each ends, so the first n of them are one range
/// and a prefix is a count: a cache hit allocates nothing for the list, and retains one object.
struct RenderedList: Sendable {
    /// The items and their JSON, shared by every prefix of the list.
    private final class Rendering: Sendable {
        let all: [Recommendation]
        /// `{"item":…,"score":…}` of each item, joined by commas.
        let joined: ByteBuffer
        /// Where each item's JSON ends in `joined`.
        let ends: [Int]

        init(all: [Recommendation], joined: ByteBuffer, ends: [Int]) {
            self.all = all
            self.joined = joined
            self.ends = ends
        }
    }

    private let rendering: Rendering
    /// How many of the items, from the first, this list serves.
    let count: Int

    private var all: [Recommendation] { rendering.all }
    private var joined: ByteBuffer { rendering.joined }
    private var ends: [Int] { rendering.ends }

    init(_ items: [Recommendation]) {
        var joined = ByteBuffer()
        var ends: [Int] = []
        ends.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if index > 0 { joined.writeInteger(UInt8(ascii: ",")) }
            joined.writeString(Self.fragment(item))
            ends.append(joined.writerIndex)
        }
        self.init(all: items, joined: joined, ends: ends, count: items.count)
    }

    private init(all: [Recommendation], joined: ByteBuffer, ends: [Int], count: Int) {
        self.init(Rendering(all: all, joined: joined, ends: ends), count: count)
    }

    private init(_ rendering: Rendering, count: Int) {
        self.rendering = rendering
        self.count = count
    }

    static let empty = RenderedList([])

    var isEmpty: Bool { count == 0 }

    /// The items served, best first.
    var items: ArraySlice<Recommendation> { all.prefix(count) }

    /// The served items' JSON, comma-separated (no brackets).
    var json: ByteBufferView { joined.readableBytesView.prefix(count == 0 ? 0 : ends[count - 1]) }

    /// The items `keep` keeps, with their JSON copied from this list's (the popularity list
    /// is filtered for every user without a list of their own, so nothing is rendered again).
    func filter(_ keep: (Recommendation) -> Bool) -> RenderedList {
        var kept: [Recommendation] = []
        var keptJoined = ByteBuffer()
        var keptEnds: [Int] = []
        let view = joined.readableBytesView
        for (index, item) in items.enumerated() where keep(item) {
            if !kept.isEmpty { keptJoined.writeInteger(UInt8(ascii: ",")) }
            // Item `index` starts after the previous one's end and its comma.
            let start = index == 0 ? 0 : ends[index - 1] + 1
            keptJoined.writeBytes(view[(view.startIndex + start)..<(view.startIndex + ends[index])])
            kept.append(item)
            keptEnds.append(keptJoined.writerIndex)
        }
        return RenderedList(all: kept, joined: keptJoined, ends: keptEnds, count: kept.count)
    }

    func prefix(_ count: Int) -> RenderedList {
        RenderedList(rendering, count: min(max(0, count), self.count))
    }

    static func fragment(_ item: Recommendation) -> String {
        #"{"item":"# + JSONStringLiteral.quoted(item.item) + #","score":"# + (item.score.isFinite ? "\(item.score)" : "0") + "}"
    }
}

/// What a client gets: the items, the model that served them, and whether the list was the
/// user's (or item's) own or the popularity fallback.
struct ServedList: Sendable {
    var list: RenderedList
    /// The answer's JSON after its items: the model and the strategy.
    var tail: ServedTail

    init(list: RenderedList, tail: ServedTail) {
        self.list = list
        self.tail = tail
    }

    init(list: RenderedList, model: String?, strategy: String) {
        self.init(list: list, tail: ServedTail(model: model, strategy: strategy))
    }

    /// The answer, written directly from the list's rendering: Foundation's encoder took more
    /// CPU than the rest of the request together (`bench/recs.sh`), and the shape is fixed.
    /// Ids are checked on the way in, but every string is escaped all the same.
    var response: Response {
        let buffer = body
        var headers = HTTPFields.answer(reserving: 2)
        // Appended, not set: a fresh set of fields has nothing to replace, and setting searched them.
        headers.append(Self.contentType)
        headers.append(HTTPField(name: .contentLength, value: String(buffer.readableBytes)))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    static let contentType = HTTPField(name: .contentType, value: "application/json")

    var body: ByteBuffer {
        let items = list.json
        var buffer = ByteBuffer()
        buffer.reserveCapacity(items.count + 11 + tail.bytes.readableBytes)
        buffer.writeStaticString(#"{"items":["#)
        buffer.writeBytes(items)
        buffer.writeImmutableBuffer(tail.bytes)
        return buffer
    }

    var json: String { String(buffer: body) }
}

/// `],"model":"…","strategy":"…"}`: the end of an answer, written once per model and strategy
/// (``CurrentModel`` keeps its two) rather than quoted again for every request.
struct ServedTail: Sendable, Equatable {
    let bytes: ByteBuffer

    init(model: String?, strategy: String) {
        var bytes = ByteBuffer()
        bytes.writeStaticString("]")
        if let model {
            bytes.writeStaticString(#","model":"#)
            bytes.writeString(JSONStringLiteral.quoted(model))
        }
        bytes.writeStaticString(#","strategy":"#)
        bytes.writeString(JSONStringLiteral.quoted(strategy))
        bytes.writeStaticString("}")
        self.bytes = bytes
    }

    /// No model is published.
    static let none = ServedTail(model: nil, strategy: "none")
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
    func storedList(model: String, subject: ListSubject) async throws -> RenderedList? {
        // The closure captures `self`, not copies of its members: a hit then retains one reference
        // (capturing `platform` copied the whole struct on every request).
        try await lists.value(for: ListKey(model: model, subject: subject)) { [self] in
            guard let text = try await platform.read.primary({ [models] sql in try await models.list(model: model, subject: subject, on: sql) }) else { return nil }
            return RenderedList(try RecsJSON.decode([Recommendation].self, text))
        }
    }

    /// `user`'s recommendations from the published model; a user it has no list for gets the
    /// popularity list, without what the user has seen when `excludeSeen`.
    ///
    /// Stored lists leave out what the user has, so `excludeSeen: false` (rare: "buy again")
    /// scores the user's list at request time, seen items included, as a fold-in does.
    func recommendations(for user: String, limit: Int, excludeSeen: Bool, filter: ItemFilter?) async throws -> ServedList {
        guard let current = try await current() else { return ServedList(list: .empty, tail: .none) }
        if let own = try await storedList(model: current.id, subject: .user(user)) {
            metrics.served(personally: true)
            let list = if !excludeSeen, let scored = try await foldedList(user, model: current, includingSeen: true) { RenderedList(scored) } else { own }
            return ServedList(list: try await filtered(list, filter, limit: limit), tail: current.personal)
        }
        var popular = try await storedList(model: current.id, subject: .popular) ?? .empty
        if excludeSeen {
            let seen = try await platform.read { [interactions] sql in try await interactions.seenItems(of: user, on: sql) }
            popular = popular.filter { !seen.contains($0.item) }
        }
        metrics.served(personally: false)
        return ServedList(list: try await filtered(popular, filter, limit: limit), tail: current.popularity)
    }

    /// Items like `item`; an item the model has no neighbours for gets the popularity list.
    func similar(to item: String, limit: Int, filter: ItemFilter?) async throws -> ServedList {
        guard let current = try await current() else { return ServedList(list: .empty, tail: .none) }
        if let own = try await storedList(model: current.id, subject: .item(item)), !own.isEmpty {
            return ServedList(list: try await filtered(own, filter, limit: limit), tail: current.personal)
        }
        let popular = (try await storedList(model: current.id, subject: .popular) ?? .empty).filter { $0.item != item }
        return ServedList(list: try await filtered(popular, filter, limit: limit), tail: current.popularity)
    }

    private func filtered(_ list: RenderedList, _ filter: ItemFilter?, limit: Int) async throws -> RenderedList {
        guard let filter else { return list.prefix(limit) }
        let categories = try await platform.read { [interactions] sql in try await interactions.categories(of: list.items.map(\.item), on: sql) }
        return list.filter { categories[$0.item] == filter.category }.prefix(limit)
    }
}
