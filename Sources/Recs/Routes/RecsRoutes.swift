import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// The module's API: interactions and items in, models trained and published, lists out.
struct RecsRoutes {
    let service: RecsService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let recs = router.group("/v1/recs")
        recs.group("/interactions").add(middleware: RequirePermission(RecsModule.record)).post { request, context -> Response in
            let body = try await request.decodeJSON(as: InteractionBatch.self, context: context)
            try Problem.throwIfInvalid(body.errors(maxBatch: service.settings.maxBatch))
            let stored = try await service.record(body.interactions)
            var response = try context.responseEncoder.encode(Accepted(accepted: body.interactions.count, stored: stored), from: request, context: context)
            response.status = .accepted
            return response
        }
        recs.group("/items/{item}").add(middleware: RequirePermission(RecsModule.record)).put { request, context -> ItemView in
            let item = try context.parameters.require("item")
            try Self.checkPathID(item, field: "item")
            let body = try await request.decodeJSON(as: ItemBody.self, context: context)
            try Problem.throwIfInvalid(body.errors)
            let metadata = ItemMetadata(item: item, category: body.category, tags: body.tags, createdAt: body.createdAt)
            try await service.describe(metadata)
            return ItemView(item: item, category: body.category, tags: body.tags ?? [], createdAt: body.createdAt)
        }
        let serve = recs.group().add(middleware: RequirePermission(RecsModule.serve))
        serve.get("/users/{user}") { request, context -> Response in
            let user = try context.parameters.require("user")
            try Self.checkPathID(user, field: "user")
            let query = try ServingQuery(request)
            return try await service.recommendations(for: user, limit: query.limit, excludeSeen: query.excludeSeen, filter: query.filter).response
        }
        serve.get("/items/{item}/similar") { request, context -> Response in
            let item = try context.parameters.require("item")
            try Self.checkPathID(item, field: "item")
            let query = try ServingQuery(request)
            return try await service.similar(to: item, limit: query.limit, filter: query.filter).response
        }
        let models = recs.group("/models").add(middleware: RequirePermission(RecsModule.train))
        models.post { request, context -> Response in
            let body = try await request.decodeJSON(as: TrainingRequest.self, context: context)
            try Problem.throwIfInvalid(body.errors)
            let record = try await service.requestTraining(body)
            return try context.accepted(record, at: "/v1/recs/models/\(record.id)", for: request)
        }
        models.get { request, context -> Page<ModelRecord> in
            let limit = try request.pageLimit()
            return Page(fetched: try await service.listModels(limit: limit + 1, after: try request.pageCursor()), limit: limit) { $0.id }
        }
        models.get("/{id}") { _, context -> ModelRecord in
            let id = try context.requireID("id", kind: "model")
            guard let record = try await service.model(id) else { throw Problem.notFound("No model \(id).") }
            return record
        }
        models.post("/{id}/publish") { _, context -> ModelRecord in
            try await service.republish(try context.requireID("id", kind: "model"))
        }
    }

    /// User and item ids are the caller's own, in the characters a URL carries unencoded
    /// (letters, digits and `. _ : @ + ~ -`, not starting with a dot), up to 200: any id
    /// recorded can then be asked for by path.
    static let idPattern = "^[A-Za-z0-9_:@+~-][A-Za-z0-9._:@+~-]{0,199}$"

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.utf8.first, first != UInt8(ascii: "."), id.utf8.count <= 200 else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: "._:@+~-".utf8.contains(byte)
            }
        }
    }

    /// An id in a path that is not one is a bad request (the body's are named fields).
    static func checkPathID(_ id: String, field: String) throws {
        guard isValidID(id) else { throw Problem(.badRequest, detail: "A \(field) id is 1 to 200 letters, digits and . _ : @ + ~ -, not starting with a dot.") }
    }
}

struct InteractionBatch: Decodable {
    var interactions: [NewInteraction]

    func errors(maxBatch: Int) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        if interactions.isEmpty { errors.append(.init(field: "/interactions", message: "send at least one interaction")) }
        if interactions.count > maxBatch { errors.append(.init(field: "/interactions", message: "at most \(maxBatch) interactions per request")) }
        for (index, interaction) in interactions.enumerated().prefix(maxBatch) {
            for (name, id) in [("user", interaction.user), ("item", interaction.item)] where !RecsRoutes.isValidID(id) {
                errors.append(.init(field: "/interactions/\(index)/\(name)", message: "1 to 200 letters, digits and . _ : @ + ~ -, not starting with a dot"))
            }
            if let weight = interaction.weight, !(weight.isFinite && weight >= 0 && weight <= 1_000_000) {
                errors.append(.init(field: "/interactions/\(index)/weight", message: "a number from 0 to 1000000"))
            }
        }
        return errors
    }
}

struct Accepted: ResponseEncodable {
    var accepted: Int
    var stored: Int
}

struct ItemBody: Decodable {
    var category: String?
    var tags: [String]?
    var createdAt: Date?

    var errors: [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        if let category, category.isEmpty || category.count > 100 { errors.append(.init(field: "/category", message: "1 to 100 characters")) }
        if let tags, tags.count > 50 || tags.contains(where: { $0.isEmpty || $0.count > 100 }) {
            errors.append(.init(field: "/tags", message: "at most 50 tags of 1 to 100 characters"))
        }
        return errors
    }
}

struct ItemView: ResponseEncodable {
    var item: String
    var category: String?
    var tags: [String]
    var createdAt: Date?
}

/// `limit`, `exclude_seen` and `filter` of a serving request.
struct ServingQuery {
    var limit = 10
    var excludeSeen = true
    var filter: ItemFilter?

    init(_ request: Request) throws {
        var limit: Substring?, excludeSeen: Substring?, filter: Substring?
        if let query = request.uri.query, !query.utf8.contains(UInt8(ascii: "%")) {
            // Nothing to decode: the pairs are read in place. Hummingbird's `queryParameters`
            // built a dictionary of every pair, and was a tenth of the route's own CPU. Split on
            // bytes as its parser does: a `&` or `=` followed by a combining mark still splits.
            // Walked pair by pair: splitting into an array was an allocation per request.
            let bytes = query.utf8
            var start = bytes.startIndex
            while start < bytes.endIndex {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
                let pair = bytes[start..<end]
                start = end < bytes.endIndex ? bytes.index(after: end) : end
                if pair.isEmpty { continue }
                let equals = pair.firstIndex(of: UInt8(ascii: "="))
                let value = equals.map { Substring(bytes[bytes.index(after: $0)..<pair.endIndex]) } ?? ""
                switch Substring(equals.map { bytes[pair.startIndex..<$0] } ?? pair) {
                case "limit": limit = limit ?? value
                case "exclude_seen": excludeSeen = excludeSeen ?? value
                case "filter": filter = filter ?? value
                default: continue
                }
            }
        } else {
            let parameters = request.uri.queryParameters
            (limit, excludeSeen, filter) = (parameters["limit"], parameters["exclude_seen"], parameters["filter"])
        }
        try self.init(limit: limit, excludeSeen: excludeSeen, filter: filter)
    }

    /// The first value of each parameter, decoded, as the request gave them.
    init(limit: Substring?, excludeSeen: Substring?, filter: Substring?) throws {
        if let limit {
            guard let value = Int(limit), (1...100).contains(value) else { throw Problem(.badRequest, detail: "limit is a whole number from 1 to 100.") }
            self.limit = value
        }
        if let excludeSeen {
            guard let value = Bool(String(excludeSeen)) else { throw Problem(.badRequest, detail: "exclude_seen is true or false.") }
            self.excludeSeen = value
        }
        if let filter {
            guard let filter = ItemFilter(String(filter)) else { throw Problem(.badRequest, detail: "filter is category:<name>.") }
            self.filter = filter
        }
    }
}

extension TrainingRequest {
    var errors: [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        if let factors, !(1...512).contains(factors) { errors.append(.init(field: "/factors", message: "from 1 to 512")) }
        if let iterations, !(1...200).contains(iterations) { errors.append(.init(field: "/iterations", message: "from 1 to 200")) }
        if let regularization, !(regularization.isFinite && regularization >= 0 && regularization <= 1_000_000) {
            errors.append(.init(field: "/regularization", message: "a number from 0 to 1000000"))
        }
        if let alpha, !(alpha.isFinite && alpha > 0 && alpha <= 1_000_000) { errors.append(.init(field: "/alpha", message: "a number above 0, at most 1000000")) }
        if let neighbours, !(1...1_000).contains(neighbours) { errors.append(.init(field: "/neighbours", message: "from 1 to 1000")) }
        // JSON clients read numbers as doubles: a seed past 2⁵³ would not come back as sent.
        if let seed, seed > 9_007_199_254_740_991 { errors.append(.init(field: "/seed", message: "from 0 to 9007199254740991")) }
        return errors
    }
}

extension ModelRecord: ResponseEncodable {}
