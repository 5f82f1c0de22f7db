import ApusCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What a client gets: the items, the model that served them, and whether the list was the
/// user's (or item's) own or the popularity fallback.
struct ServedList: Sendable {
    var items: [Recommendation]
    var model: String?
    var strategy: String

    /// The answer, written directly: Foundation's encoder took more CPU than the rest of the
    /// request together (`bench/recs.sh`), and the shape is fixed. Ids are checked on the way
    /// in, but every string is escaped all the same.
    var response: Response {
        let buffer = ByteBuffer(string: json)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .contentLength: String(buffer.readableBytes)], body: .init(byteBuffer: buffer)
        )
    }

    var json: String {
        var text = #"{"items":["#
        for (index, item) in items.enumerated() {
            if index > 0 { text += "," }
            text += #"{"item":"# + Self.quoted(item.item) + #","score":"# + (item.score.isFinite ? "\(item.score)" : "0") + "}"
        }
        text += "]"
        if let model { text += #","model":"# + Self.quoted(model) }
        return text + #","strategy":"# + Self.quoted(strategy) + "}"
    }

    static func quoted(_ text: String) -> String {
        // Ids and model names never need escaping: take them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
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
    /// A precomputed list, through this node's cache.
    func storedList(model: String, subject: String) async throws -> [Recommendation]? {
        try await lists.value(for: "\(model)|\(subject)") { [models, platform] in
            guard let text = try await platform.read.primary({ sql in try await models.list(model: model, subject: subject, on: sql) }) else { return nil }
            return try RecsJSON.decode([Recommendation].self, text)
        }
    }

    /// `user`'s recommendations from the published model; a user it has no list for gets the
    /// popularity list, without what the user has seen when `excludeSeen`.
    ///
    /// Stored lists leave out what the user has, so `excludeSeen: false` (rare: "buy again")
    /// scores the user's list at request time, seen items included, as a fold-in does.
    func recommendations(for user: String, limit: Int, excludeSeen: Bool, filter: ItemFilter?) async throws -> ServedList {
        guard let current = try await current() else { return ServedList(items: [], model: nil, strategy: "none") }
        if !excludeSeen, try await storedList(model: current.id, subject: "u:\(user)") != nil,
           let scored = try await foldedList(user, model: current, includingSeen: true) {
            metrics.served(personally: true)
            return ServedList(items: try await filtered(scored, filter, limit: limit), model: current.id, strategy: "personal")
        }
        if let own = try await storedList(model: current.id, subject: "u:\(user)") {
            metrics.served(personally: true)
            return ServedList(items: try await filtered(own, filter, limit: limit), model: current.id, strategy: "personal")
        }
        var popular = try await storedList(model: current.id, subject: "popular") ?? []
        if excludeSeen {
            let seen = try await platform.read { [interactions] sql in try await interactions.seenItems(of: user, on: sql) }
            popular.removeAll { seen.contains($0.item) }
        }
        metrics.served(personally: false)
        return ServedList(items: try await filtered(popular, filter, limit: limit), model: current.id, strategy: "popularity")
    }

    /// Items like `item`; an item the model has no neighbours for gets the popularity list.
    func similar(to item: String, limit: Int, filter: ItemFilter?) async throws -> ServedList {
        guard let current = try await current() else { return ServedList(items: [], model: nil, strategy: "none") }
        if let own = try await storedList(model: current.id, subject: "i:\(item)"), !own.isEmpty {
            return ServedList(items: try await filtered(own, filter, limit: limit), model: current.id, strategy: "personal")
        }
        let popular = (try await storedList(model: current.id, subject: "popular") ?? []).filter { $0.item != item }
        return ServedList(items: try await filtered(popular, filter, limit: limit), model: current.id, strategy: "popularity")
    }

    private func filtered(_ list: [Recommendation], _ filter: ItemFilter?, limit: Int) async throws -> [Recommendation] {
        guard let filter else { return Array(list.prefix(limit)) }
        let categories = try await platform.read { [interactions] sql in try await interactions.categories(of: list.map(\.item), on: sql) }
        return Array(list.filter { categories[$0.item] == filter.category }.prefix(limit))
    }
}
