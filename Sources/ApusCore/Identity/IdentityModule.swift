import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// Identity's HTTP surface, a module every node runs: registration, login and sessions, users,
/// API keys and the published signing keys. Its tables keep the prefix `auth_` and its
/// permissions their platform names (`account.self`, `users.manage`), from before modules had
/// to carry their name.
struct IdentityModule: Module {
    let name = "identity"
    let identity: Identity
    /// Every permission of the node (the scopes an API key may take), platform's and modules'.
    let allPermissions: [Permission]

    static let ownPermissions: [Permission] = [.ownAccount, .manageUsers]
    var permissions: [Permission] { Self.ownPermissions }
    var events: [EventDeclaration] { Self.declaredEvents }
    static let declaredEvents = [
        EventDeclaration(IdentityEvents.userDeleted, summary: "An account was deleted; everything of it must go.", payload: IdentityEvents.changeSchema),
        EventDeclaration(IdentityEvents.userDisabled, summary: "An account was disabled; its sessions and keys stopped working.", payload: IdentityEvents.changeSchema),
        EventDeclaration(IdentityEvents.userEnabled, summary: "A disabled account was enabled again.", payload: IdentityEvents.changeSchema),
    ]
    var openAPI: OpenAPIFragment { IdentityOpenAPI.fragment(permissions: allPermissions.map(\.name)) }

    func start(_ platform: Platform) throws -> ModuleParts {
        let configuration = platform.configuration
        let clientAddress = try ClientAddress(trustedProxies: configuration.trustedProxies)
        let routes = RouteCollection(context: ApusRequestContext.self)
        AuthRoutes(
            identity: identity,
            authLimit: RateLimitMiddleware(limiter: platform.limiter(configuration.authRateLimit), clientAddress: clientAddress),
            loginEmailLimiter: platform.limiter(configuration.loginEmailRateLimit),
            clientAddress: clientAddress,
            decoy: DecoyHash()
        ).add(to: routes)
        UserRoutes(identity: identity).add(to: routes)
        APIKeyRoutes(identity: identity, permissions: Dictionary(allPermissions.map { ($0.name, $0) }) { first, _ in first }).add(to: routes)

        let published = RouteCollection(context: ApusRequestContext.self)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        published.get("/.well-known/jwks.json") { [identity] _, _ -> Response in
            let body = try encoder.encode(try await identity.signingKeys.jwks())
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return ModuleParts(routes: routes, publicRoutes: published, services: [KeyFollower(identity: identity)])
    }
}

/// Applies key rotations announced by other nodes while the node runs.
struct KeyFollower: Service {
    let identity: Identity

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await identity.followCluster()
        }
    }
}
