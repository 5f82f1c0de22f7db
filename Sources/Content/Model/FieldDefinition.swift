import ApusCore

/// One field of a content type: what it holds and the rules its values keep.
struct FieldDefinition: Codable, Sendable, Equatable {
    /// What a field holds.
    enum Kind: String, Codable, Sendable, CaseIterable {
        case text, richText = "rich_text", number, boolean, dateTime = "date_time", `enum`, slug, reference, media, json
    }

    var name: String
    var kind: Kind
    var required: Bool = false
    var unique: Bool = false
    /// Whether each locale has a value of its own; a field that is not keeps one value for all.
    var localised: Bool = false
    /// Text: the longest value, in characters.
    var maxLength: Int?
    /// Enum: the values allowed.
    var values: [String]?
    /// Slug: the text field it is made from.
    var from: String?
    /// Reference: the api id of the type referred to (any type when absent).
    var to: String?
    /// Whether the delivery API filters and sorts by it: published values are kept in an index.
    var indexed: Bool = false

    enum CodingKeys: String, CodingKey {
        case name, kind, required, unique, localised, maxLength, values, from, to, indexed
    }

    init(name: String, kind: Kind, required: Bool = false, unique: Bool = false, localised: Bool = false,
         maxLength: Int? = nil, values: [String]? = nil, from: String? = nil, to: String? = nil, indexed: Bool = false) {
        self.name = name
        self.kind = kind
        self.required = required
        self.unique = unique
        self.localised = localised
        self.maxLength = maxLength
        self.values = values
        self.from = from
        self.to = to
        self.indexed = indexed
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(Kind.self, forKey: .kind)
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? false
        unique = try container.decodeIfPresent(Bool.self, forKey: .unique) ?? false
        localised = try container.decodeIfPresent(Bool.self, forKey: .localised) ?? false
        maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
        values = try container.decodeIfPresent([String].self, forKey: .values)
        from = try container.decodeIfPresent(String.self, forKey: .from)
        to = try container.decodeIfPresent(String.self, forKey: .to)
        indexed = try container.decodeIfPresent(Bool.self, forKey: .indexed) ?? false
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(required, forKey: .required)
        try container.encode(unique, forKey: .unique)
        try container.encode(localised, forKey: .localised)
        try container.encodeIfPresent(maxLength, forKey: .maxLength)
        try container.encodeIfPresent(values, forKey: .values)
        try container.encodeIfPresent(from, forKey: .from)
        try container.encodeIfPresent(to, forKey: .to)
        // Left out when off, so types stored before the index read back unchanged.
        if indexed { try container.encode(indexed, forKey: .indexed) }
    }

    /// Whether a value is one the delivery API's filters compare (a scalar with one spelling).
    var isScalar: Bool { [.text, .number, .boolean, .dateTime, .enum, .slug, .reference, .media].contains(kind) }

    /// Names an entry's JSON uses itself, which no field may take.
    static let reservedNames: Set<String> = [
        "id", "type", "status", "locale", "publish_at", "unpublish_at", "change_note", "created_at", "updated_at",
        "published_at", "author_id", "version", "has_unpublished_changes", "revision",
    ]

    /// The form of a field name: it is a JSON key and part of a filter expression.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.count <= 64 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
