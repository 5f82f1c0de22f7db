import ApusCore
import Foundation
import Prometheus
import SQLKit

/// The links module's domain service: it owns the module's transactions and caches, so a route
/// handler only decodes, calls and encodes.
final class LinksService: Sendable {
    let platform: Platform
    let store: LinkStore
    /// Codes → targets for the redirect hot path, with short-lived "no such code" entries so a
    /// scan of random codes cannot hammer the database.
    let redirects: BusInvalidatedCache<String, LinkStore.Target>
    let clicks: ClickBuffer
    let secrets: LinksSecrets
    let targetPolicy: TargetURLPolicy
    let publicURL: String
    let redirectsServed: Counter
    /// The platform's clock, kept apart so the hot path does not copy the platform to read it.
    let now: @Sendable () -> Date

    /// Words no alias may take, besides every first path segment a route uses.
    static let reservedWords: Set<String> = ["v1", "v2", "api", "health", "metrics", ".well-known", "admin", "static", "assets", "favicon.ico", "robots.txt", "sitemap.xml"]

    init(platform: Platform, settings: LinksSettings) {
        self.platform = platform
        self.now = platform.now
        let publicURL = platform.configuration.effectivePublicURL
        self.publicURL = publicURL
        self.store = LinkStore(publicURL: publicURL)
        self.redirects = platform.cache("links.redirects", capacity: 100_000, lifetime: .seconds(300), missLifetime: .seconds(5), countHitsAndMisses: true)
        self.secrets = LinksSecrets(platform: platform)
        self.clicks = ClickBuffer(platform: platform, secrets: secrets, metrics: platform.metrics, logger: platform.logger(module: LinksModule.name))
        self.targetPolicy = TargetURLPolicy(blockedHosts: Set(settings.blockedHosts), ownHost: URLComponents(string: publicURL)?.host)
        self.redirectsServed = platform.metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: "links", metricName: "redirects", unitName: "total", helpText: "Redirects served."))
    }

    /// What an alias may not be: fixed words and the first segment of every route of the node,
    /// whichever modules it runs.
    var reserved: Set<String> { Self.reservedWords.union(platform.routes.firstSegments) }

    /// Creates a link for `owner` under `alias` or a fresh code; 409 when the alias is taken.
    func create(_ body: CreateLink, owner: String) async throws -> Link {
        let now = platform.now()
        var link = Link(
            code: "", shortUrl: "", url: body.url, redirect: body.redirect ?? 302, expiresAt: body.expiresAt,
            maxVisits: body.maxVisits, visits: 0, tags: body.tags ?? [], ownerId: owner, createdAt: now, updatedAt: now
        )
        if let alias = body.alias {
            guard LinkCode.isValidAlias(alias) else {
                throw Problem.unprocessable("An alias is 3-64 of A-Z a-z 0-9 _ -.", errors: [.init(field: "alias", message: "3-64 of A-Z a-z 0-9 _ -")])
            }
            guard !reserved.contains(alias.lowercased()) else {
                throw Problem.unprocessable("'\(alias)' is reserved.", errors: [.init(field: "alias", message: "is reserved")])
            }
            link = store.withCode(alias, link)
            guard try await insert(link) else { throw Problem.conflict("The alias '\(alias)' is taken.") }
        } else {
            // Codes from the permutation never collide with each other; an alias may already hold one.
            let codes = try await secrets.values().codes
            while true {
                let number = try await platform.transaction { [store] transaction in try await store.nextNumber(in: transaction) }
                link = store.withCode(codes.code(for: number), link)
                if reserved.contains(link.code.lowercased()) { continue }
                if try await insert(link) { break }
            }
        }
        return link
    }

    private func insert(_ link: Link) async throws -> Bool {
        try await platform.transaction { [store, redirects] transaction in
            let inserted = try await store.insert(link, in: transaction)
            // A "no such code" answer may be cached for it.
            if inserted { transaction.invalidate(redirects, link.code) }
            return inserted
        }
    }

    /// The link `code` if `principal` owns it (or is an admin); else a 404 problem.
    func owned(_ code: String, by principal: Principal, fromPrimary: Bool = false) async throws -> Link {
        guard LinkCode.isPlausible(Substring(code)), let link = try await find(code, fromPrimary: fromPrimary),
            principal.mayAccess(ownedBy: link.ownerId)
        else { throw Problem.notFound("No link \(code).") }
        return link
    }

    private func find(_ code: String, fromPrimary: Bool) async throws -> Link? {
        let read: @Sendable (any SQLDatabase) async throws -> Link? = { [store] connection in try await store.find(code: code, on: connection) }
        return fromPrimary ? try await platform.read.primary(read) : try await platform.read(read)
    }

    /// A page of links by code: the caller's, or everyone's for an admin.
    func list(for principal: Principal, tag: String?, limit: Int, after cursor: String?) async throws -> [Link] {
        try await platform.read { [store] connection in
            try await store.list(owner: principal.listedOwner, tag: tag, limit: limit, after: cursor, on: connection)
        }
    }

    /// Applies `patch` to `link`; every node's cached redirect for it goes.
    func update(_ link: Link, with patch: PatchLink) async throws -> Link {
        var link = link
        if let url = patch.url { link.url = url }
        if let redirect = patch.redirect { link.redirect = redirect }
        if let maxVisits = patch.maxVisits { link.maxVisits = maxVisits }
        if let expiresAt = patch.expiresAt { link.expiresAt = expiresAt }
        if let tags = patch.tags { link.tags = tags }
        link.updatedAt = platform.now()
        let updated = link
        try await platform.transaction { [store, redirects] transaction in
            try await store.update(updated, in: transaction)
            transaction.invalidate(redirects, updated.code)
        }
        return updated
    }

    /// Deletes `link` and its clicks; every node stops redirecting it.
    func delete(_ link: Link) async throws {
        try await platform.transaction { [store, redirects] transaction in
            try await store.delete(link, in: transaction)
            transaction.invalidate(redirects, link.code)
        }
    }

    /// Where `code` redirects, read from the database into this node's cache (the redirect looks
    /// in the cache first).
    func loadTarget(_ code: String) async throws -> LinkStore.Target? {
        // Captures the reads alone: copying the whole platform showed in the redirect's profile.
        // From the primary: a target read from a lagging replica would stay cached until its
        // entry expires, after the invalidation that should have replaced it.
        try await redirects.load(code) { [read = platform.read, store] in
            try await read.primary { connection in try await store.target(code: code, on: connection) }
        }
    }

    /// Counts a visit to a capped link; `false` when its cap is reached.
    func claimVisit(_ code: String) async throws -> Bool {
        try await platform.transaction { [store] transaction in try await store.claimVisit(code: code, on: transaction.sql) }
    }

    /// A link's click statistics.
    func stats(_ link: Link, from: Date, to: Date, interval: String) async throws -> LinkStats {
        try await LinkStats.load(code: link.code, from: from, to: to, interval: interval, read: platform.read)
    }

    /// Removes every link of a deleted user, with their clicks, inside `transaction`.
    func removeLinks(of owner: String, in transaction: Transaction) async throws {
        for link in try await store.links(of: owner, on: transaction.sql) {
            try await store.delete(link, in: transaction)
            transaction.invalidate(redirects, link.code)
        }
    }

    /// Stops (or resumes) redirecting every link of a user, inside `transaction`.
    func suspendLinks(of owner: String, suspended: Bool, in transaction: Transaction) async throws {
        for code in try await store.setSuspended(owner: owner, suspended, on: transaction.sql) {
            transaction.invalidate(redirects, code)
        }
    }
}
