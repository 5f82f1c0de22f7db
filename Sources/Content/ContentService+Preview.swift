import ApusCore
import Foundation

/// A preview token: who holds it reads the entry's current draft as readers would get it once
/// published, without an account, until it expires.
struct PreviewToken: Codable, Sendable {
    var token: String
    var expiresAt: Date
    /// Where the preview is read (the token is part of it).
    var url: String
}

extension ContentService {
    /// What preview tokens are signed for: a token of any other purpose is refused here.
    static let previewPurpose = "content.preview"

    /// A token that shows entry `id`'s drafts for `lifetime` seconds (the setting's default when
    /// `nil`). For who may edit the entry; others get 403, or 404 when they may not see it.
    func previewToken(_ apiID: String, _ id: String, lifetime: Int?, by principal: Principal?) async throws -> PreviewToken {
        let type = try await type(apiID)
        let entry = try await platform.read.primary { [entryStore] sql in try await entryStore.entry(id, of: type.id, on: sql) }
        guard let entry else {
            try ContentAccess.check(.read, by: principal)
            throw Problem.notFound("No entry \(id).")
        }
        try ContentAccess.check(.read, by: principal, entry: entry)
        try ContentAccess.check(.preview, by: principal, entry: entry)
        // Whole seconds, as the token keeps it.
        let expiresAt = Date(timeIntervalSince1970: (platform.now().timeIntervalSince1970 + Double(lifetime ?? settings.previewLifetime)).rounded(.down))
        let token = try await platform.secrets.signer(Self.previewPurpose).sign([type.id, entry.id], expiresAt: expiresAt)
        return PreviewToken(token: token, expiresAt: expiresAt, url: "/v1/content/\(type.apiId)/preview/\(token)")
    }

    /// The draft a preview token shows, in `locale`, rendered as readers get published entries
    /// (rich text as safe HTML). A token that is not genuine or has expired is a 401; one for
    /// another type, or for an entry since deleted, a 404.
    func preview(_ apiID: String, token: String, locale requested: String?) async throws -> DeliveredEntry {
        let type = try await type(apiID)
        let locale = try type.locale(requested)
        let signer = try await platform.secrets.signer(Self.previewPurpose)
        let claims: [String]
        do {
            claims = try signer.verify(token, now: platform.now()).claims
        } catch .expired(let at) {
            throw Problem.unauthorized("The preview token expired at \(Timestamp.format(at)); ask for a new one.")
        } catch {
            throw Problem.unauthorized("This is not a preview token of this install.")
        }
        guard claims.count == 2, claims[0] == type.id else { throw Problem.notFound("The preview token is for another type.") }
        let entryID = claims[1]
        return try await platform.read.primary { [self] sql in
            guard let entry = try await entryStore.entry(entryID, of: type.id, on: sql) else { throw Problem.notFound("The entry was deleted.") }
            let values = try await entryStore.values(of: entryID, locales: [type.defaultLocale, locale], on: sql)
            return try render(entry, values: EntryValues.merged(values.draft, locale: locale, type: type), type: type, locale: locale)
        }
    }
}
