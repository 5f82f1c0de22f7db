import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// Content types under `/v1/content/types`: staff read them, admins define and change them.
struct TypeRoutes {
    let service: ContentService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let types = router.group("/v1/content/types")
        types.get { _, context -> Page<ContentType> in
            _ = try context.require(ContentModule.read)
            return Page(items: try await service.types(), nextCursor: nil)
        }
        types.get("/{api_id}") { request, context -> Response in
            _ = try context.require(ContentModule.read)
            return try Self.tagged(try await service.type(try Self.apiID(context)), request, context)
        }
        types.post { request, context -> Response in
            _ = try context.require(ContentModule.manageTypes)
            let definition = try await request.decodeJSON(as: TypeDefinition.self, context: context)
            let type = try await service.createType(definition)
            var response = try context.created(type, at: "/v1/content/types/\(type.apiId)", for: request)
            response.headers[.eTag] = ContentRequests.etag(type.version)
            return response
        }
        types.patch("/{api_id}") { request, context -> Response in
            _ = try context.require(ContentModule.manageTypes)
            let apiID = try Self.apiID(context)
            let version = try ContentRequests.expectedVersion(request, required: true, what: "type")
            let patch = try await request.decodeJSON(as: TypeDefinition.self, context: context)
            return try Self.tagged(try await service.updateType(apiID, with: patch, version: version), request, context)
        }
    }

    static func apiID(_ context: ApusRequestContext) throws -> String {
        let apiID = try context.parameters.require("api_id")
        guard TypeRules.isValidAPIID(apiID) else { throw Problem.notFound("No content type \(apiID).") }
        return apiID
    }

    static func tagged(_ type: ContentType, _ request: Request, _ context: ApusRequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(type, from: request, context: context)
        response.headers[.eTag] = ContentRequests.etag(type.version)
        return response
    }
}

extension ContentType: ResponseEncodable {}
