import ApusCore
import Foundation

extension ContentService {
    /// A page of the entry's revisions, newest first.
    func revisions(_ apiID: String, _ id: String, limit: Int, before number: Int?, by principal: Principal?) async throws -> [Revision] {
        let type = try await type(apiID)
        return try await platform.read { [entryStore, revisionStore] sql in
            guard let entry = try await entryStore.entry(id, of: type.id, on: sql) else { throw Problem.notFound("No entry \(id).") }
            try ContentAccess.check(.read, by: principal, entry: entry)
            return try await revisionStore.revisions(of: id, limit: limit, before: number, on: sql)
        }
    }

    /// What changed in each field from revision `from` to revision `to`.
    func diff(_ apiID: String, _ id: String, from: Int, to: Int, by principal: Principal?) async throws -> RevisionDiff {
        let type = try await type(apiID)
        return try await platform.read { [entryStore, revisionStore] sql in
            guard let entry = try await entryStore.entry(id, of: type.id, on: sql) else { throw Problem.notFound("No entry \(id).") }
            try ContentAccess.check(.read, by: principal, entry: entry)
            guard let older = try await revisionStore.revision(from, of: id, on: sql) else { throw Problem.notFound("The entry has no revision \(from).") }
            guard let newer = try await revisionStore.revision(to, of: id, on: sql) else { throw Problem.notFound("The entry has no revision \(to).") }
            return RevisionDiff(from: older, to: newer, fields: type.fields)
        }
    }

    /// Makes revision `number`'s values the entry's draft in that revision's locale, as a new
    /// revision: history is never rewritten.
    func restore(_ apiID: String, _ id: String, revision number: Int, version: Int?, by principal: Principal?) async throws -> EntryDocument {
        let type = try await type(apiID)
        guard let revision = try await platform.read({ [revisionStore] sql in try await revisionStore.revision(number, of: id, on: sql) }) else {
            // Whether the entry exists is for the save to say, under the caller's rights.
            _ = try await entry(apiID, id, locale: nil, by: principal)
            throw Problem.notFound("The entry has no revision \(number).")
        }
        var body: [String: JSONValue] = ["change_note": .string("Restored revision \(number)")]
        for field in type.fields {
            // A localised field a locale lacked read from the default locale: restoring writes
            // only what the revision's locale holds of its own.
            body[field.name] = revision.values[field.name] ?? .null
        }
        return try await saveEntry(apiID, id, locale: revision.locale, body: .object(body), version: version, autosave: false, by: principal)
    }
}
