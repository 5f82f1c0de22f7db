import ApusCore

/// Who may do what to entries. Authors create and edit their own drafts and submit them;
/// editors edit any entry, publish, unpublish, schedule, archive and delete; viewers read
/// drafts; admins do everything. A preview token (a draft shown to someone with no account) is
/// for who may edit the entry. An entry the caller may not read answers 404, so its
/// existence does not leak; one they may read but not change answers 403.
enum ContentAccess {
    enum Action: String, Sendable, CaseIterable {
        case read, create, edit, submit, preview, publish, unpublish, archive, delete, schedule
    }

    /// Throws the answer when `principal` may not do `action` to `entry` (to the type's entries
    /// at all when `entry` is `nil`).
    static func check(_ action: Action, by principal: Principal?, entry: EntryRecord? = nil) throws {
        guard let principal else { throw Problem.unauthorized("Authentication is required.") }
        guard principal.has(ContentModule.read) else {
            // Someone with no part in content learns nothing about it.
            throw entry.map { Problem.notFound("No entry \($0.id).") } ?? Problem(.forbidden, detail: "This needs the 'content.read' permission.")
        }
        switch action {
        case .read:
            return
        case .create:
            try require(ContentModule.write, principal)
        case .edit, .submit:
            try require(ContentModule.write, principal)
            guard let entry, !principal.has(ContentModule.editAny) else { return }
            guard entry.authorID == principal.userID else {
                throw Problem(.forbidden, detail: "Authors change their own entries; this one is someone else's.")
            }
            if action == .edit, entry.status == .inReview || entry.status == .scheduled {
                throw Problem(.forbidden, detail: "The entry is \(entry.status.rawValue): an editor takes it from here.")
            }
        case .preview:
            try require(ContentModule.write, principal)
            guard let entry, !principal.has(ContentModule.editAny), entry.authorID != principal.userID else { return }
            throw Problem(.forbidden, detail: "Authors share previews of their own entries; this one is someone else's.")
        case .publish, .unpublish, .archive, .schedule, .delete:
            try require(ContentModule.publish, principal)
        }
    }

    private static func require(_ permission: Permission, _ principal: Principal) throws {
        guard principal.has(permission) else { throw Problem(.forbidden, detail: "This needs the '\(permission.name)' permission.") }
    }
}
