import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// The management API under `/v1/content/{type}/entries`: staff read drafts, authors and
/// editors write, editors move entries through the workflow. Changes carry `If-Match`.
struct EntryRoutes {
    let service: ContentService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let entries = router.group("/v1/content/{type}/entries")
        entries.post { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let apiID = try ContentRequests.typeID(context)
            let body = try await request.decodeJSON(as: JSONValue.self, context: context)
            let document = try await service.createEntry(apiID, locale: try ContentRequests.locale(request), body: body, by: context.principal)
            return try ContentRequests.document(document, status: .created, location: "/v1/content/\(apiID)/entries/\(document.entry.id)")
        }
        entries.get { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let limit = try request.pageLimit()
            let status = try request.uri.queryParameters.get("status").map { text in
                guard let status = EntryStatus(rawValue: text) else {
                    throw Problem.badRequest("status must be one of \(EntryStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                return status
            }
            let fetched = try await service.entries(
                try ContentRequests.typeID(context), locale: try ContentRequests.locale(request), status: status,
                limit: limit + 1, after: try request.pageCursor(), by: context.principal
            )
            let next = fetched.count > limit ? fetched[limit - 1].entry.id : nil
            return try ContentJSON.response(ContentJSON.page(fetched.prefix(limit).map(\.json), nextCursor: next))
        }
        entries.get("/{id}") { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let id = try context.requireID("id", kind: "entry")
            return try ContentRequests.document(try await service.entry(
                try ContentRequests.typeID(context), id, locale: try ContentRequests.locale(request), by: context.principal
            ))
        }
        entries.patch("/{id}") { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let id = try context.requireID("id", kind: "entry")
            let version = try ContentRequests.expectedVersion(request, required: true, what: "entry")
            let body = try await request.decodeJSON(as: JSONValue.self, context: context)
            return try ContentRequests.document(try await service.saveEntry(
                try ContentRequests.typeID(context), id, locale: try ContentRequests.locale(request), body: body, version: version,
                autosave: try ContentRequests.flag(request, "autosave"), by: context.principal
            ))
        }
        entries.delete("/{id}") { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let id = try context.requireID("id", kind: "entry")
            try await service.deleteEntry(try ContentRequests.typeID(context), id, by: context.principal)
            return Response(status: .noContent)
        }
        for transition in ContentService.Transition.allCases {
            entries.post("/{id}/\(transition.rawValue)") { request, context -> Response in
                _ = try context.require(ContentModule.read)
                let id = try context.requireID("id", kind: "entry")
                let version = try ContentRequests.expectedVersion(request, required: false, what: "entry")
                return try ContentRequests.document(try await service.transition(
                    transition, try ContentRequests.typeID(context), id, locale: try ContentRequests.locale(request), version: version, by: context.principal
                ))
            }
        }
        entries.post("/{id}/preview-token") { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let id = try context.requireID("id", kind: "entry")
            let lifetime = try await PreviewRequest.lifetime(of: request, context: context)
            let token = try await service.previewToken(try ContentRequests.typeID(context), id, lifetime: lifetime, by: context.principal)
            return try context.created(token, at: token.url, for: request)
        }
        entries.get("/{id}/revisions") { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let id = try context.requireID("id", kind: "entry")
            let limit = try request.pageLimit()
            // A revision number, as the previous page's cursor gave it.
            let before = try request.pageCursor { cursor in
                cursor.count <= 9 && cursor.first != "0" && !cursor.isEmpty && cursor.allSatisfy { ("0"..."9").contains($0) }
            }.flatMap { Int($0) }
            let fetched = try await service.revisions(try ContentRequests.typeID(context), id, limit: limit + 1, before: before, by: context.principal)
            return try context.responseEncoder.encode(
                Page(fetched: fetched.map(RevisionView.init), limit: limit) { String($0.number) }, from: request, context: context
            )
        }
        entries.get("/{id}/revisions/diff") { request, context -> RevisionDiff in
            _ = try context.require(ContentModule.read)
            let id = try context.requireID("id", kind: "entry")
            guard let from = request.uri.queryParameters.get("from").flatMap({ Int($0) }), from > 0,
                  let to = request.uri.queryParameters.get("to").flatMap({ Int($0) }), to > 0 else {
                throw Problem.badRequest("from and to must be revision numbers.")
            }
            return try await service.diff(try ContentRequests.typeID(context), id, from: from, to: to, by: context.principal)
        }
        entries.post("/{id}/revisions/{number}/restore") { request, context -> Response in
            _ = try context.require(ContentModule.read)
            let id = try context.requireID("id", kind: "entry")
            guard let number = Int(try context.parameters.require("number")), number > 0 else { throw Problem.notFound("No such revision.") }
            let version = try ContentRequests.expectedVersion(request, required: true, what: "entry")
            return try ContentRequests.document(try await service.restore(
                try ContentRequests.typeID(context), id, revision: number, version: version, by: context.principal
            ))
        }
    }
}

extension RevisionDiff: ResponseEncodable {}
extension PreviewToken: ResponseEncodable {}

/// `POST …/preview-token`'s optional body: `{"expires_in": seconds}`.
struct PreviewRequest: Decodable {
    var expiresIn: Int?

    /// The lifetime asked for, `nil` for the default (no body, or none named).
    static func lifetime(of request: Request, context: ApusRequestContext) async throws -> Int? {
        let length = request.headers[.contentLength]
        guard request.headers[.transferEncoding] != nil || (length != nil && length != "0") else { return nil }
        guard let lifetime = try await request.decodeJSON(as: Self.self, context: context).expiresIn else { return nil }
        guard ContentSettings.previewLifetimes.contains(lifetime) else {
            throw Problem.unprocessable("expires_in must be from 60 seconds to 7 days.", errors: [Problem.FieldError(field: "expires_in", message: "from 60 to 604800")])
        }
        return lifetime
    }
}
