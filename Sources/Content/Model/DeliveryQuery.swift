import ApusCore
import ApusKit
import Foundation

/// An indexed field's value as the index keeps it: numbers as numbers, everything else as text
/// whose byte order is the value's order (times in their canonical UTC form).
enum IndexedValue: Sendable, Equatable {
    case text(String)
    case number(Double)

    /// The index's value of a stored field value (`nil` for none, or one of another kind).
    init?(_ value: JSONValue?, field: FieldDefinition) {
        switch (field.kind, value) {
        case (.number, .number(let number)?) where number.isFinite: self = .number(number)
        case (.boolean, .bool(let flag)?): self = .text(flag ? "true" : "false")
        case (.dateTime, .string(let text)?):
            guard let time = Timestamp.parse(text) else { return nil }
            self = .text(Timestamp.format(time))
        case (.text, .string(let text)?), (.enum, .string(let text)?), (.slug, .string(let text)?),
             (.reference, .string(let text)?), (.media, .string(let text)?):
            self = .text(text)
        default: return nil
        }
    }

    /// A value as a filter spells it, or why it cannot be one of `field`'s.
    static func parse(_ text: Substring, field: FieldDefinition) throws(Problem) -> IndexedValue {
        let value: JSONValue
        switch field.kind {
        case .number:
            guard let number = Double(text), number.isFinite else { throw Problem.badRequest("filter \(field.name) takes a number, not '\(text)'.") }
            value = .number(number)
        case .boolean:
            guard text == "true" || text == "false" else { throw Problem.badRequest("filter \(field.name) takes true or false.") }
            value = .bool(text == "true")
        default:
            value = .string(String(text))
        }
        if let problem = ValueRules.problem(with: value, for: field) { throw Problem.badRequest("filter \(field.name): the value \(problem).") }
        guard let indexed = IndexedValue(value, field: field) else { throw Problem.badRequest("filter \(field.name) cannot take '\(text)'.") }
        return indexed
    }

    var json: JSONValue {
        switch self {
        case .text(let text): .string(text)
        case .number(let number): .number(number)
        }
    }
}

/// What `GET …/published` asks beyond a page: `filter=field:value,…` (equality on indexed
/// fields, all of them must hold) and `sort=field` or `sort=-field` (an indexed field, or
/// `published_at`). Entries without a value of the sort field come last, either way.
struct DeliveryQuery: Sendable, Equatable {
    /// What a page is ordered by.
    enum SortKey: Sendable, Equatable {
        /// The entry id: the order entries were made in (the default).
        case id
        case publishedAt
        case field(FieldDefinition)
    }

    var filters: [(field: FieldDefinition, value: IndexedValue)] = []
    var sort: SortKey = .id
    var descending = false

    static let maximumFilters = 8

    /// The query `filter` and `sort` (each as given, or absent) ask of `type`.
    init(filter: [String], sort: String?, type: ContentType) throws(Problem) {
        for pair in filter.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            guard let colon = pair.firstIndex(of: ":") else { throw Problem.badRequest("filter takes field:value pairs separated by commas.") }
            let field = try Self.indexedField(pair[..<colon], in: type, for: "filter")
            filters.append((field, try IndexedValue.parse(pair[pair.index(after: colon)...], field: field)))
        }
        guard filters.count <= Self.maximumFilters else { throw Problem.badRequest("filter takes at most \(Self.maximumFilters) conditions.") }
        if let sort {
            var name = Substring(sort)
            if name.first == "-" {
                descending = true
                name = name.dropFirst()
            }
            switch name {
            case "id": self.sort = .id
            case "published_at": self.sort = .publishedAt
            default: self.sort = .field(try Self.indexedField(name, in: type, for: "sort"))
            }
        }
    }

    init() {}

    private static func indexedField(_ name: Substring, in type: ContentType, for parameter: String) throws(Problem) -> FieldDefinition {
        guard let field = type.field(String(name)) else {
            throw Problem.badRequest("\(parameter): the type has no field '\(name)'.")
        }
        guard field.indexed else {
            let indexed = type.fields.filter(\.indexed).map(\.name)
            let choices = (parameter == "sort" ? ["published_at"] : []) + indexed
            throw Problem.badRequest(
                "\(parameter): field '\(name)' is not indexed (set \"indexed\": true on it); \(choices.isEmpty ? "none is" : "indexed: \(choices.joined(separator: ", "))")."
            )
        }
        return field
    }

    /// The spelling of the order, kept in cursors so one made for another order is refused.
    var sortSpelling: String {
        let name = switch sort {
        case .id: "id"
        case .publishedAt: "published_at"
        case .field(let field): field.name
        }
        return (descending ? "-" : "") + name
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.sort == rhs.sort && lhs.descending == rhs.descending && lhs.filters.elementsEqual(rhs.filters) { $0.field == $1.field && $0.value == $1.value }
    }
}

/// Where a page of published entries starts: after the entry with this sort value and id.
/// Handed out opaque (base64url of JSON), with the order it belongs to.
struct DeliveryCursor: Sendable, Equatable {
    var value: IndexedValue?
    var id: String

    func encoded(for query: DeliveryQuery) -> String {
        let array: JSONValue = [.string(query.sortSpelling), value?.json ?? .null, .string(id)]
        return ((try? ContentJSON.data(array)) ?? Data()).base64URLEncoded
    }

    /// The cursor `text` names for `query`; a 400 when it is none this API made for that order.
    init(_ text: String, for query: DeliveryQuery) throws(Problem) {
        let refused = Problem.badRequest("cursor is not one this API handed out for this sort.")
        guard text.utf8.count <= 2_000, let data = Data(base64URLEncoded: text),
              case .array(let parts)? = try? JSONValue(parsing: Array(data)), parts.count == 3,
              case .string(let spelling) = parts[0], spelling == query.sortSpelling,
              case .string(let id) = parts[2], OpaqueID.isWellFormed(id) else { throw refused }
        switch (query.sort, parts[1]) {
        case (_, .null): value = nil
        case (.field(let field), .number(let number)) where field.kind == .number: value = .number(number)
        case (.field(let field), .string(let text)) where field.kind != .number: value = .text(text)
        case (.publishedAt, .string(let text)): value = .text(text)
        default: throw refused
        }
        self.id = id
    }

    init(value: IndexedValue?, id: String) {
        self.value = value
        self.id = id
    }
}
