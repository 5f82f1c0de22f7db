import ApusCore
import Foundation

/// One save of an entry in one locale: who, when, why, and every field value as it then read.
struct Revision: Sendable, Equatable {
    var id: String
    var entryID: String
    /// 1, 2, 3… per entry, across its locales.
    var number: Int
    var locale: String
    var authorID: String
    var changeNote: String?
    var values: FieldValues
    /// Saved as an autosave: a later autosave by the same author soon after updates it in place.
    var autosave: Bool
    var createdAt: Date
    var updatedAt: Date
}

/// A revision as the API shows it.
struct RevisionView: Encodable, Sendable {
    var id: String
    var number: Int
    var locale: String
    var authorId: String
    var changeNote: String?
    var autosave: Bool
    var createdAt: Date
    var updatedAt: Date
    var values: JSONValue

    init(_ revision: Revision) {
        id = revision.id
        number = revision.number
        locale = revision.locale
        authorId = revision.authorID
        changeNote = revision.changeNote
        autosave = revision.autosave
        createdAt = revision.createdAt
        updatedAt = revision.updatedAt
        values = .object(revision.values)
    }
}

/// What changed in each field between two revisions.
struct RevisionDiff: Encodable, Sendable {
    struct Change: Encodable, Sendable, Equatable {
        var field: String
        var before: JSONValue?
        var after: JSONValue?
    }
    var from: Int
    var to: Int
    var changes: [Change]

    init(from older: Revision, to newer: Revision, fields: [FieldDefinition]) {
        from = older.number
        to = newer.number
        // The type's field order first, then names the type no longer has, by name.
        let known = fields.map(\.name)
        let gone = Set(older.values.keys).union(newer.values.keys).subtracting(known).sorted()
        changes = (known + gone).compactMap { name in
            let before = older.values[name].present
            let after = newer.values[name].present
            return before == after ? nil : Change(field: name, before: before, after: after)
        }
    }
}

extension JSONValue? {
    /// The value unless it is absent or JSON `null` (`JSONValue` takes a `nil` literal as
    /// `.null`, so this is spelled out).
    var present: JSONValue? {
        guard case .some(let value) = self, value != .null else { return .none }
        return value
    }
}
