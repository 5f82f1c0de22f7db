import ApusCore
import Foundation

extension ContentService {
    /// Defines a new content type.
    func createType(_ definition: TypeDefinition) async throws -> ContentType {
        let now = platform.now()
        var errors: [Problem.FieldError] = []
        if definition.name == nil { errors.append(.init(field: "name", message: "is required")) }
        if definition.apiId == nil { errors.append(.init(field: "api_id", message: "is required")) }
        try Problem.throwIfInvalid(errors)
        let locales = definition.locales ?? [definition.defaultLocale ?? "en"]
        let type = ContentType(
            id: OpaqueID.make("ctt", at: now), name: definition.name ?? "", apiId: definition.apiId ?? "",
            isPublic: definition.isPublic ?? false, urlPattern: definition.urlPattern,
            defaultLocale: definition.defaultLocale ?? locales.first ?? "en", locales: locales,
            fields: definition.fields ?? [], version: 1, createdAt: now, updatedAt: now
        )
        try Problem.throwIfInvalid(TypeRules.errors(in: type))
        let inserted = try await platform.transaction { [typeStore] transaction in
            try await typeStore.insert(type, on: transaction.sql)
        }
        guard inserted else { throw Problem.conflict("A content type with api id \(type.apiId) exists.") }
        return type
    }

    /// The type with `apiID`, from the node's cache; a 404 when there is none.
    func type(_ apiID: String) async throws -> ContentType {
        let type = try await typeCache.value(for: apiID) { [self] in
            // Cache loads read the primary: a replica's older type would stay cached.
            try await platform.read.primary { [self] sql in try await typeStore.type(apiID: apiID, on: sql) }
        }
        guard let type else { throw Problem.notFound("No content type \(apiID).") }
        return type
    }

    func types() async throws -> [ContentType] {
        try await platform.read { [typeStore] sql in try await typeStore.types(on: sql) }
    }

    /// Changes a type if it is still at `version` (any when `nil`), after checking that every
    /// entry still keeps its rules; refuses naming the entries that would not.
    func updateType(_ apiID: String, with patch: TypeDefinition, version: Int?) async throws -> ContentType {
        if let apiId = patch.apiId, apiId != apiID { throw Problem.unprocessable("Field api_id cannot change.", errors: [.init(field: "api_id", message: "cannot change")]) }
        return try await platform.transaction { [self] transaction in
            guard let current = try await typeStore.type(apiID: apiID, on: transaction.sql) else { throw Problem.notFound("No content type \(apiID).") }
            if let version, current.version != version { throw Problem(.preconditionFailed, detail: "The type changed since you read it; read it again.") }
            if let locale = patch.defaultLocale, locale != current.defaultLocale {
                throw Problem.unprocessable("Field default_locale cannot change.", errors: [.init(field: "default_locale", message: "cannot change")])
            }
            var type = current
            type.name = patch.name ?? type.name
            type.isPublic = patch.isPublic ?? type.isPublic
            type.urlPattern = patch.urlPattern ?? type.urlPattern
            type.locales = patch.locales ?? type.locales
            type.fields = patch.fields ?? type.fields
            type.version += 1
            type.updatedAt = transaction.now()
            try Problem.throwIfInvalid(TypeRules.errors(in: type))
            let claims = try await checkEntries(of: current, against: type, on: transaction)
            for (field, locale, value, entry) in claims {
                _ = try await uniqueStore.claim(value, field: field, locale: locale, type: type.id, for: entry, on: transaction.sql)
            }
            for field in current.fields where Self.isClaimed(field) {
                if !(type.field(field.name).map(Self.isClaimed) ?? false) {
                    try await uniqueStore.releaseAll(field: field.name, type: type.id, on: transaction.sql)
                }
            }
            guard try await typeStore.update(type, from: current.version, on: transaction.sql) else {
                throw Problem(.preconditionFailed, detail: "The type changed since you read it; read it again.")
            }
            if current.fields.filter(\.indexed) != type.fields.filter(\.indexed) {
                try await fieldIndex.rebuild(type, on: transaction.sql)
            }
            transaction.invalidate(typeCache, apiID)
            return type
        }
    }

    /// Reads every entry of `old` and checks it against `new`: values of a changed kind or
    /// rule, required fields now missing, locales dropped that hold values, duplicates of a
    /// field made unique. Returns the unique claims to make for newly unique fields.
    private func checkEntries(
        of old: ContentType, against new: ContentType, on transaction: Transaction
    ) async throws -> [(String, String, String, String)] {
        guard old.fields != new.fields || old.locales != new.locales else { return [] }
        let newlyUnique = new.fields.filter { field in Self.isClaimed(field) && !(old.field(field.name).map(Self.isClaimed) ?? false) }
        var seen: [String: String] = [:]
        var claims: [(String, String, String, String)] = []
        var broken: [Problem.FieldError] = []
        var cursor: String?
        repeat {
            let page = try await entryStore.entries(of: old.id, status: nil, limit: 200, after: cursor, on: transaction.sql)
            cursor = page.count == 200 ? page.last?.id : nil
            for entry in page {
                let values = try await entryStore.values(of: entry.id, on: transaction.sql)
                if let reason = Self.breakage(values, old: old, new: new) {
                    broken.append(.init(field: "entries/\(entry.id)", message: reason))
                    continue
                }
                for field in newlyUnique {
                    for (locale, row) in values.draft {
                        guard let value = row[field.name], let key = ValueRules.uniqueKey(value) else { continue }
                        if let other = seen["\(field.name)|\(locale)|\(key)"], other != entry.id {
                            broken.append(.init(field: "entries/\(entry.id)", message: "has the same \(field.name) as \(other)"))
                        }
                        seen["\(field.name)|\(locale)|\(key)"] = entry.id
                        claims.append((field.name, locale, key, entry.id))
                    }
                }
            }
        } while cursor != nil && broken.count < 100
        guard broken.isEmpty else {
            throw Problem(.conflict, detail: "The change would break \(broken.count == 100 ? "at least 100" : String(broken.count)) entries; they are named in errors.", errors: broken)
        }
        return claims
    }

    /// Whether a field's values are claimed one entry each: unique fields and slugs.
    static func isClaimed(_ field: FieldDefinition) -> Bool { field.unique || field.kind == .slug }

    /// Why an entry's stored values would not keep `new`'s rules, if they would not.
    private static func breakage(_ values: EntryValues, old: ContentType, new: ContentType) -> String? {
        for rows in [values.draft, values.published] {
            for (locale, row) in rows {
                if !new.locales.contains(locale), !row.isEmpty { return "has values in locale \(locale), which the type would no longer offer" }
                for (name, value) in row where value != .null {
                    guard let field = new.field(name) else { continue }
                    if let message = ValueRules.problem(with: value, for: field) { return "field \(name) \(message)" }
                    if locale != new.defaultLocale, !field.localised { return "field \(name) has values per locale, and would no longer be localised" }
                }
            }
            if let row = rows[new.defaultLocale] {
                if let missing = ValueRules.missing(in: row, type: new).first { return "field \(missing.field) \(missing.message)" }
            }
        }
        return nil
    }
}
