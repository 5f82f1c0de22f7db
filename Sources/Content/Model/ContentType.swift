import ApusCore
import Foundation

/// A content type: the fields its entries have, which locales they come in, and whether
/// strangers may read what is published of it.
struct ContentType: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var apiId: String
    var isPublic: Bool
    /// Where a published entry lives on the site: `/blog/{slug}`, with `{slug}`, `{id}` and
    /// `{locale}` filled in (sitemaps and feeds use it).
    var urlPattern: String?
    var defaultLocale: String
    var locales: [String]
    var fields: [FieldDefinition]
    var version: Int
    var createdAt: Date
    var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, apiId, isPublic = "public", urlPattern, defaultLocale, locales, fields, version, createdAt, updatedAt
    }

    func field(_ name: String) -> FieldDefinition? { fields.first { $0.name == name } }

    /// The slug field, if the type has one (at most one: it names the entry's URL).
    var slugField: FieldDefinition? { fields.first { $0.kind == .slug } }

    /// The locale a request means: the one asked for when the type offers it, else the default.
    func locale(_ requested: String?) throws -> String {
        guard let requested else { return defaultLocale }
        guard locales.contains(requested) else {
            // What the type does not offer is not there, as an unknown entry is not.
            throw Problem.notFound("This type has no locale '\(requested)': it offers \(locales.joined(separator: ", ")).")
        }
        return requested
    }

    /// The locale whose row keeps `field`'s value when written in `locale`: a field that is not
    /// localised keeps one value, in the default locale's row.
    func storageLocale(of field: FieldDefinition, writing locale: String) -> String {
        field.localised ? locale : defaultLocale
    }

    /// Api ids the content routes take for themselves.
    static let reservedAPIIDs: Set<String> = ["types", "search"]
}
