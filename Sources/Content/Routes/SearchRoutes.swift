import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /v1/content/search?q=&type=&locale=&drafts=&limit=`: full text over published entries
/// (of public types for strangers), drafts too for staff who ask.
struct SearchRoutes {
    let service: ContentService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        router.get("/v1/content/search") { request, context -> Response in
            guard let text = request.uri.queryParameters.get("q") else { throw Problem.badRequest("q is required: the words to search for.") }
            let type = try request.uri.queryParameters.get("type").map { apiID in
                guard TypeRules.isValidAPIID(String(apiID)) else { throw Problem.notFound("No content type \(apiID).") }
                return String(apiID)
            }
            let hits = try await service.search(
                String(text), type: type, locale: try ContentRequests.locale(request), drafts: try ContentRequests.flag(request, "drafts"),
                limit: try request.pageLimit(), by: context.principal
            )
            return try context.responseEncoder.encode(SearchResults(items: hits), from: request, context: context)
        }
    }
}

/// A search's answer: its hits, best first.
struct SearchResults: Encodable, ResponseEncodable, Sendable {
    var items: [SearchHitView]
}
