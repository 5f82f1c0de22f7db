import ApusCore
import Foundation
import Hummingbird

/// Webhook endpoints under `/v1/webhooks/endpoints`: owners manage their own, admins all.
struct WebhookEndpointRoutes {
    let endpoints: WebhookEndpointStore
    /// The guard deliveries pass: an endpoint it would refuse is refused when registered.
    let policy: EgressPolicy
    /// The event types the shipped modules declare: a subscription must name at least one.
    let eventTypes: EventCatalogue

    struct RotatedSecret: Codable, ResponseEncodable {
        var secret: String
    }

    func add(to router: some RouterMethods<ApusRequestContext>) {
        // Creation and rotation answer with the signing secret.
        let group = router.group("/v1/webhooks/endpoints").add(middleware: NoStoreMiddleware()).add(middleware: RequirePermission(NotificationsModule.manageWebhooks))
        group.post { request, context -> Response in
            let principal = try context.require(NotificationsModule.manageWebhooks)
            let body = try await request.decodeJSON(as: CreateEndpoint.self, context: context)
            try Self.validate(url: body.url, eventTypes: body.eventTypes, policy: policy)
            try Self.declared(body.eventTypes, in: eventTypes)
            let endpoint = try await endpoints.create(owner: principal.userID, url: body.url, eventTypes: body.eventTypes)
            return try context.created(endpoint, at: "/v1/webhooks/endpoints/\(endpoint.id)", for: request)
        }
        group.get { request, context -> Page<WebhookEndpoint> in
            let principal = try context.require(NotificationsModule.manageWebhooks)
            let limit = try request.pageLimit()
            let cursor = try request.pageCursor()
            let page = try await endpoints.list(owner: principal.listedOwner, limit: limit + 1, before: cursor)
            return Page(fetched: page, limit: limit) { $0.id }
        }
        group.get("/{id}") { _, context -> WebhookEndpoint in
            try await owned(context).endpoint
        }
        group.patch("/{id}") { request, context -> WebhookEndpoint in
            let stored = try await owned(context)
            let patch = try await request.decodeJSON(as: PatchEndpoint.self, context: context)
            try Self.validate(url: patch.url ?? stored.endpoint.url, eventTypes: patch.eventTypes ?? stored.endpoint.eventTypes, policy: policy)
            if let types = patch.eventTypes { try Self.declared(types, in: eventTypes) }
            try await endpoints.update(id: stored.endpoint.id, url: patch.url, eventTypes: patch.eventTypes, disabled: patch.disabled)
            return try await owned(context).endpoint
        }
        group.delete("/{id}") { _, context -> Response in
            try await endpoints.delete(id: try await owned(context).endpoint.id)
            return Response(status: .noContent)
        }
        group.post("/{id}/rotate-secret") { _, context -> RotatedSecret in
            RotatedSecret(secret: try await endpoints.rotateSecret(id: try await owned(context).endpoint.id))
        }
    }

    private func owned(_ context: ApusRequestContext) async throws -> WebhookEndpointStore.Stored {
        let principal = try context.require(NotificationsModule.manageWebhooks)
        let id = try context.parameters.require("id")
        guard OpaqueID.isWellFormed(id), let stored = try await endpoints.find(id: id), principal.mayAccess(ownedBy: stored.ownerID) else {
            throw Problem.notFound("No webhook endpoint \(id).")
        }
        return stored
    }

    static func validate(url: String, eventTypes: [String], policy: EgressPolicy) throws {
        guard NotificationFields.isWebhookURL(url) else {
            throw Problem.unprocessable("url must be an absolute http(s) URL with a host, at most 2048 bytes.", errors: [.init(field: "url", message: "invalid")])
        }
        if let reason = policy.refusalWithoutLookup(url) {
            throw Problem.unprocessable("url is refused: \(reason) (APUS_EGRESS_ALLOW lists exceptions).", errors: [.init(field: "url", message: "internal address")])
        }
        guard !eventTypes.isEmpty, eventTypes.count <= 100, eventTypes.allSatisfy({ NotificationFields.isName($0, max: 128, extra: ["_", "-", ".", "*"]) }) else {
            throw Problem.unprocessable("event_types lists 1-100 types such as links.link.created, links.* or *.", errors: [.init(field: "event_types", message: "invalid")])
        }
    }

    /// Refuses a subscription that could never match: a type no shipped module declares, or a
    /// `prefix.*` under which none is (checked on creation and when the types change, so an
    /// endpoint stored before a type was retired keeps working).
    static func declared(_ types: [String], in catalogue: EventCatalogue) throws {
        let unknown = types.filter { !catalogue.matches($0) }
        guard unknown.isEmpty else {
            throw Problem.unprocessable(
                "No module emits \(unknown.joined(separator: ", ")); GET /v1/openapi.json lists the event types under webhooks.",
                errors: unknown.map { .init(field: "event_types", message: "unknown event type \($0)") }
            )
        }
    }
}
