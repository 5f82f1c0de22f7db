import ApusCore
import ApusKit
import Foundation

extension ContentService {
    /// Creates a draft entry of type `apiID` from the field values of one locale.
    func createEntry(_ apiID: String, locale requested: String?, body: JSONValue, by principal: Principal?) async throws -> EntryDocument {
        let type = try await type(apiID)
        try ContentAccess.check(.create, by: principal)
        let locale = try type.locale(requested)
        let changes = try ValueRules.changes(from: body, type: type)
        if changes.publishAt != nil || changes.unpublishAt != nil { try ContentAccess.check(.schedule, by: principal) }
        let author = principal?.userID ?? ""
        return try await platform.transaction { [self] transaction in
            let now = transaction.now()
            var entry = EntryRecord(
                id: OpaqueID.make("ent", at: now), typeID: type.id, authorID: author, status: .draft, unpublishedChanges: false,
                version: 1, createdAt: now, updatedAt: now
            )
            var values = EntryValues()
            let merged = try await write(changes.values, into: &values, entry: entry.id, type: type, locale: locale, in: transaction)
            try await schedule(changes, for: &entry, in: transaction)
            // Written once, as the schedule left it (nothing above reads the row).
            try await entryStore.insert(entry, on: transaction.sql)
            try await recordRevision(of: entry.id, locale: locale, values: merged, author: author, note: changes.changeNote, autosave: false, in: transaction)
            try await transaction.emit(ContentEvents.created, aggregate: entry.id, json: payload(entry, type: type, values: values))
            return EntryDocument(entry: entry, type: type, locale: locale, values: merged)
        }
    }

    /// The entry as staff read it, in one locale.
    func entry(_ apiID: String, _ id: String, locale requested: String?, by principal: Principal?) async throws -> EntryDocument {
        let type = try await type(apiID)
        let locale = try type.locale(requested)
        return try await platform.read { [entryStore] sql in
            guard let entry = try await entryStore.entry(id, of: type.id, on: sql) else { throw Problem.notFound("No entry \(id).") }
            try ContentAccess.check(.read, by: principal, entry: entry)
            let values = try await entryStore.values(of: id, locales: [type.defaultLocale, locale], on: sql)
            return EntryDocument(entry: entry, type: type, locale: locale, values: EntryValues.merged(values.draft, locale: locale, type: type))
        }
    }

    /// A page of the type's entries as staff read them.
    func entries(_ apiID: String, locale requested: String?, status: EntryStatus?, limit: Int, after cursor: String?, by principal: Principal?) async throws -> [EntryDocument] {
        let type = try await type(apiID)
        try ContentAccess.check(.read, by: principal)
        let locale = try type.locale(requested)
        return try await platform.read { [entryStore] sql in
            var documents: [EntryDocument] = []
            for entry in try await entryStore.entries(of: type.id, status: status, limit: limit, after: cursor, on: sql) {
                let values = try await entryStore.values(of: entry.id, locales: [type.defaultLocale, locale], on: sql)
                documents.append(EntryDocument(entry: entry, type: type, locale: locale, values: EntryValues.merged(values.draft, locale: locale, type: type)))
            }
            return documents
        }
    }

    /// Saves field values of one locale if the entry is still at `version` (any when `nil`).
    /// An autosave soon after the same author's last autosave updates that revision instead
    /// of adding one.
    func saveEntry(
        _ apiID: String, _ id: String, locale requested: String?, body: JSONValue, version: Int?, autosave: Bool, by principal: Principal?
    ) async throws -> EntryDocument {
        let type = try await type(apiID)
        let locale = try type.locale(requested)
        let changes = try ValueRules.changes(from: body, type: type)
        return try await platform.transaction { [self] transaction in
            try await transaction.lock(ContentModule.name, "entry:\(id)")
            var entry = try await existing(id, of: type, on: transaction)
            try ContentAccess.check(.edit, by: principal, entry: entry)
            if changes.publishAt != nil || changes.unpublishAt != nil { try ContentAccess.check(.schedule, by: principal, entry: entry) }
            if let version, entry.version != version { throw Self.stale }
            var values = try await entryStore.values(of: id, locales: [type.defaultLocale, locale], on: transaction.sql)
            let merged = try await write(changes.values, into: &values, entry: id, type: type, locale: locale, in: transaction)
            if entry.status == .archived { entry.status = .draft }
            if entry.status == .published, !changes.values.isEmpty { entry.unpublishedChanges = true }
            try await schedule(changes, for: &entry, in: transaction)
            try await bump(&entry, in: transaction)
            if !changes.values.isEmpty || changes.changeNote != nil {
                try await recordRevision(of: id, locale: locale, values: merged, author: principal?.userID ?? "", note: changes.changeNote, autosave: autosave, in: transaction)
            }
            try await transaction.emit(ContentEvents.updated, aggregate: id, json: payload(entry, type: type, values: values))
            return EntryDocument(entry: entry, type: type, locale: locale, values: merged)
        }
    }

    /// Deletes an entry with its revisions; readers stop seeing it on every node.
    func deleteEntry(_ apiID: String, _ id: String, by principal: Principal?) async throws {
        let type = try await type(apiID)
        try await platform.transaction { [self] transaction in
            try await transaction.lock(ContentModule.name, "entry:\(id)")
            let entry = try await existing(id, of: type, on: transaction)
            try ContentAccess.check(.delete, by: principal, entry: entry)
            let values = try await entryStore.values(of: id, on: transaction.sql)
            let slugs = try await publishedSlugs(of: id, on: transaction)
            try await entryStore.delete(id, on: transaction.sql)
            try await searchStore.remove(entry: id, on: transaction.sql)
            invalidateDelivery(of: id, type: type, slugs: slugs, in: transaction)
            try await transaction.emit(ContentEvents.deleted, aggregate: id, json: payload(entry, type: type, values: values))
        }
    }

    // MARK: Pieces of a save

    static var stale: Problem { Problem(.preconditionFailed, detail: "The entry changed since you read it; read it again and retry.") }

    func existing(_ id: String, of type: ContentType, on transaction: Transaction) async throws -> EntryRecord {
        guard let entry = try await entryStore.entry(id, of: type.id, on: transaction.sql) else { throw Problem.notFound("No entry \(id).") }
        return entry
    }

    /// Moves the entry to its next version and writes its row.
    func bump(_ entry: inout EntryRecord, in transaction: Transaction) async throws {
        let version = entry.version
        entry.version += 1
        entry.updatedAt = transaction.now()
        guard try await entryStore.update(entry, from: version, on: transaction.sql) else { throw Self.stale }
    }

    /// Writes `changed` into the draft rows it belongs to (the locale's for localised fields,
    /// the default locale's for the rest), makes a missing slug from its field, claims unique
    /// values, checks references and required fields, and returns the locale's values as read.
    func write(_ changed: FieldValues, into values: inout EntryValues, entry id: String, type: ContentType, locale: String, in transaction: Transaction) async throws -> FieldValues {
        var rows = values.draft
        var touched: Set<String> = []
        for (name, value) in changed {
            guard let field = type.field(name) else { continue }
            let at = type.storageLocale(of: field, writing: locale)
            // Not `value == .null ? nil : value`: JSONValue takes that `nil` as `.null`.
            if value == .null { rows[at, default: [:]].removeValue(forKey: name) } else { rows[at, default: [:]][name] = value }
            touched.insert(at)
        }
        if let field = type.slugField {
            let at = type.storageLocale(of: field, writing: locale)
            if try await claimSlug(field, in: &rows, at: at, given: changed[field.name], entry: id, type: type, on: transaction) { touched.insert(at) }
        }
        for field in type.fields where field.unique && field.kind != .slug && changed[field.name] != nil {
            let at = type.storageLocale(of: field, writing: locale)
            if let value = rows[at]?[field.name], let key = ValueRules.uniqueKey(value) {
                guard try await uniqueStore.claim(key, field: field.name, locale: at, type: type.id, for: id, on: transaction.sql) else {
                    throw Problem.conflict("Another entry of \(type.apiId) has \(field.name) \(key).")
                }
            } else {
                try await uniqueStore.release(field: field.name, locale: at, of: id, on: transaction.sql)
            }
        }
        try await checkReferences(changed, type: type, on: transaction)
        let merged = EntryValues.merged(rows, locale: locale, type: type)
        try Problem.throwIfInvalid(ValueRules.missing(in: merged, type: type))
        for at in touched.sorted() {
            try await entryStore.setDraft(rows[at] ?? [:], of: id, locale: at, on: transaction.sql)
        }
        values.draft = rows
        try await index(id, type: type, locale: locale, state: "draft", values: merged, on: transaction)
        return merged
    }

    /// Keeps the entry's slug claimed: the one given when there is one (409 when another entry
    /// has it), else one made from its `from` field, numbered on collision. Returns whether the
    /// row changed.
    private func claimSlug(
        _ field: FieldDefinition, in rows: inout [String: FieldValues], at locale: String, given: JSONValue?, entry id: String,
        type: ContentType, on transaction: Transaction
    ) async throws -> Bool {
        if case .string(let slug)? = given {
            guard try await uniqueStore.claim(slug, field: field.name, locale: locale, type: type.id, for: id, on: transaction.sql) else {
                throw Problem.conflict("Another entry of \(type.apiId) has the slug \(slug) in \(locale).")
            }
            return false
        }
        guard rows[locale]?[field.name] == nil else { return false }
        guard let from = field.from, case .string(let text)? = EntryValues.merged(rows, locale: locale, type: type)[from],
              let base = Slug.make(from: text) else {
            try await uniqueStore.release(field: field.name, locale: locale, of: id, on: transaction.sql)
            return false
        }
        for n in 1...1_000 {
            let candidate = n == 1 ? base : Slug.numbered(base, n)
            if try await uniqueStore.claim(candidate, field: field.name, locale: locale, type: type.id, for: id, on: transaction.sql) {
                rows[locale, default: [:]][field.name] = .string(candidate)
                return true
            }
        }
        throw Problem.conflict("Every slug made from \(from) is taken; give the entry a slug of its own.")
    }

    /// Each reference names an entry that exists, of the type the field refers to.
    private func checkReferences(_ changed: FieldValues, type: ContentType, on transaction: Transaction) async throws {
        var errors: [Problem.FieldError] = []
        for field in type.fields where field.kind == .reference {
            guard case .string(let target)? = changed[field.name] else { continue }
            guard let referred = try await entryStore.entry(target, on: transaction.sql) else {
                errors.append(.init(field: field.name, message: "names no entry"))
                continue
            }
            if let to = field.to, try await typeStore.type(id: referred.typeID, on: transaction.sql)?.apiId != to {
                errors.append(.init(field: field.name, message: "must name an entry of type \(to)"))
            }
        }
        try Problem.throwIfInvalid(errors)
    }

    /// Adds a revision, or updates the newest when this is an autosave by the same author in
    /// the same locale within the autosave window of the last one.
    func recordRevision(of id: String, locale: String, values: FieldValues, author: String, note: String?, autosave: Bool, in transaction: Transaction) async throws {
        let now = transaction.now()
        let latest = try await revisionStore.latest(of: id, on: transaction.sql)
        if autosave, var latest, latest.autosave, latest.authorID == author, latest.locale == locale,
           now.timeIntervalSince(latest.updatedAt) < settings.autosaveWindow {
            latest.values = values
            latest.updatedAt = now
            latest.changeNote = note ?? latest.changeNote
            try await revisionStore.update(autosave: latest, on: transaction.sql)
            return
        }
        let revision = Revision(
            id: OpaqueID.make("rev", at: now), entryID: id, number: (latest?.number ?? 0) + 1, locale: locale, authorID: author,
            changeNote: note, values: values, autosave: autosave, createdAt: now, updatedAt: now
        )
        try await revisionStore.insert(revision, on: transaction.sql)
    }

    /// The slugs the entry was published under, to drop from every node's cache.
    func publishedSlugs(of id: String, on transaction: Transaction) async throws -> [(locale: String, slug: String)] {
        try await uniqueStore.publishedSlugs(of: id, on: transaction.sql)
    }
}
