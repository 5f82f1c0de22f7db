import ApusCore
import Foundation

/// Where an entry is in its workflow.
enum EntryStatus: String, Codable, Sendable, CaseIterable {
    case draft
    case inReview = "in_review"
    case scheduled
    case published
    case archived
}

/// An entry's own row: who wrote it, where it is in the workflow and when it moves on. Its
/// field values live per locale (`EntryValues`).
struct EntryRecord: Sendable, Equatable {
    var id: String
    var typeID: String
    var authorID: String
    var status: EntryStatus
    var publishAt: Date?
    var unpublishAt: Date?
    var publishedAt: Date?
    /// A published entry edited since: readers still see what was published.
    var unpublishedChanges: Bool
    var version: Int
    var createdAt: Date
    var updatedAt: Date

    /// Whether readers see it.
    var isPublished: Bool { status == .published }
}

/// Field values by field name, as stored for one locale.
typealias FieldValues = [String: JSONValue]

/// An entry's values in every locale it has a row for: `draft` is what staff edit, `published`
/// what readers see (none before the first publish).
struct EntryValues: Sendable, Equatable {
    var draft: [String: FieldValues] = [:]
    var published: [String: FieldValues] = [:]

    /// The values of `locale` as one reads them: the locale's own localised values, the
    /// default locale's for the rest and for localised values the locale lacks.
    static func merged(_ rows: [String: FieldValues], locale: String, type: ContentType) -> FieldValues {
        var values = rows[type.defaultLocale] ?? [:]
        guard locale != type.defaultLocale, let own = rows[locale] else { return values }
        for field in type.fields where field.localised {
            if let value = own[field.name], value != .null { values[field.name] = value }
        }
        return values
    }
}

/// What one save asks for: field values to set (`.null` clears one) and the reserved names a
/// client may write.
struct EntryChanges: Sendable {
    var values: FieldValues = [:]
    var publishAt: Date??
    var unpublishAt: Date??
    var changeNote: String?
}
