import ApusCore
import Foundation

extension ContentService {
    /// `entry` with each reference replaced by the published entry it names, in the same
    /// locale (`null` when that entry is not published, or its type is one `principal` may not
    /// read, as the delivery API would answer 404 for it): one level, so the entries it brings
    /// keep their own references as ids. Read from the node's caches at each request, so a
    /// referenced entry republished shows at once.
    func expanded(_ entry: DeliveredEntry, type: ContentType, locale: String, for principal: Principal?) async throws -> DeliveredEntry {
        guard case .object(var members) = entry.json else { return entry }
        var changed = false
        for field in type.fields where field.kind == .reference {
            guard case .string(let id)? = members[field.name] else { continue }
            var referred: DeliveredEntry?
            if let target = try await referredType(of: id, field: field), target.isPublic || principal?.has(ContentModule.read) == true {
                referred = try await delivered(id, type: target, locale: target.locales.contains(locale) ? locale : target.defaultLocale)
            }
            members[field.name] = referred?.json ?? .null
            changed = true
        }
        guard changed else { return entry }
        return try DeliveredEntry(json: .object(members), slug: entry.slug, caching: deliveryHeaders.caching(type))
    }

    /// The type of the entry a reference names: the field's own when it has one, else looked up
    /// once per node (an entry never changes type).
    private func referredType(of id: String, field: FieldDefinition) async throws -> ContentType? {
        if let to = field.to { return try? await type(to) }
        let apiID = try await entryTypeCache.value(for: id) { [self] in
            try await platform.read.primary { sql in
                try await sql.raw("""
                    SELECT t.api_id AS api_id FROM content_entries e JOIN content_types t ON t.id = e.type_id WHERE e.id = \(bind: id)
                    """).first()?.decode(column: "api_id", as: String.self)
            }
        }
        guard let apiID else { return nil }
        return try? await type(apiID)
    }
}
