import Foundation
public import Hummingbird
import ServiceLifecycle

/// Composes the platform and the modules a node runs into one HTTP application.
public struct ApusServer: Sendable {
    /// The version reported in the OpenAPI document.
    public static let version = "0.1.0"

    /// The platform the modules share.
    public let platform: Platform
    /// The modules this node runs, after `APUS_MODULES` selection.
    public let modules: [any Module]
    /// Accounts, sessions, tokens and API keys.
    public let identity: Identity

    /// Picks from `available` the modules `platform.configuration.modules` names (all when unset).
    public init(platform: Platform, available: [any Module]) throws(ConfigurationError) {
        self.platform = platform
        self.identity = Identity(platform: platform)
        guard let wanted = platform.configuration.modules else {
            self.modules = available
            return
        }
        let known = Set(available.map(\.name))
        if let unknown = wanted.first(where: { !known.contains($0) }) {
            let names = known.sorted().joined(separator: ", ")
            throw .invalid("APUS_MODULES", "unknown module '\(unknown)' (known: \(names.isEmpty ? "none" : names))")
        }
        self.modules = available.filter { wanted.contains($0.name) }
    }

    /// The platform's own migrations, which every node runs.
    static let platformMigrations = [IdempotencyStore.migration, SharedRateLimiter.migration] + IdentityMigrations.all + JobsMigrations.all

    /// Every permission of the platform and the running modules.
    public var permissions: [Permission] { [Permission.ownAccount, .manageUsers, .manageJobs] + modules.flatMap(\.permissions) }

    /// Every migration of the platform and the running modules.
    public var migrations: [Migration] { Self.platformMigrations + modules.flatMap(\.migrations) }

    /// A migrator for this node's migrations.
    public var migrator: Migrator {
        Migrator(database: platform.database, migrations: migrations, logger: platform.logger)
    }

    /// The OpenAPI document of the running modules.
    public var openAPIDocument: JSONValue {
        OpenAPIDocument.build(
            version: Self.version,
            fragments: [CoreRoutes.openAPI, IdentityOpenAPI.fragment(permissions: permissions.map(\.name)), JobsOpenAPI.fragment] + modules.map(\.openAPI)
        )
    }

    /// The router with every route and middleware, for serving or testing.
    public func makeRouter() throws -> Router<ApusRequestContext> {
        let router = Router(context: ApusRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIdentityMiddleware())
        router.add(middleware: HTTPMetricsMiddleware(registry: platform.metrics))
        router.add(middleware: ProblemMiddleware())
        let configuration = platform.configuration
        let clientAddress = try ClientAddress(trustedProxies: configuration.trustedProxies)
        router.add(middleware: AuthenticationMiddleware(identity: identity))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let document = try encoder.encode(openAPIDocument)
        // Probes, metrics and published documents come before the default rate limit, which
        // applies only to routes added after it.
        CoreRoutes(readiness: ReadinessCheck(database: platform.database, migrator: migrator), platform: platform, openAPIDocument: document)
            .add(to: router)
        router.get("/.well-known/jwks.json") { [identity] _, _ -> Response in
            let body = try encoder.encode(try await identity.signingKeys.jwks())
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.add(middleware: RateLimitMiddleware(limiter: limiter(configuration.defaultRateLimit), clientAddress: clientAddress))
        router.add(middleware: IdempotencyMiddleware(store: IdempotencyStore(database: platform.database)))
        AuthRoutes(
            identity: identity,
            authLimit: RateLimitMiddleware(limiter: limiter(configuration.authRateLimit), clientAddress: clientAddress),
            loginEmailLimiter: limiter(configuration.loginEmailRateLimit),
            decoy: DecoyHash()
        ).add(to: router)
        UserRoutes(identity: identity).add(to: router)
        JobRoutes(queue: platform.jobs).add(to: router)
        APIKeyRoutes(identity: identity, permissions: Dictionary(permissions.map { ($0.name, $0) }) { first, _ in first }).add(to: router)
        for module in modules {
            try module.addRoutes(to: router, platform: platform)
        }
        // Added last, so it wraps only the not-found responder.
        router.add(middleware: AllowedMethodsMiddleware(allowedMethods: AllowedMethods(router: router)))
        return router
    }

    /// A node-local limiter for `policy`, or a shared one when `APUS_RATE_LIMIT_SHARED` names it.
    func limiter(_ policy: RateLimitPolicy) -> any RateLimiting {
        platform.configuration.sharedRateLimits.contains(policy.name)
            ? SharedRateLimiter(policy: policy, database: platform.database)
            : RateLimiter(policy: policy)
    }

    /// The HTTP application, with the modules' services.
    public func makeApplication() throws -> some ApplicationProtocol {
        let configuration = platform.configuration
        return Application(
            router: try makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "apus"),
            services: [RevocationFollower(identity: identity)] + modules.flatMap { $0.services(platform: platform) } + backgroundWork(),
            logger: platform.logger
        )
    }
}

extension ApusServer {
    /// The job worker and the event dispatcher, with the modules' handlers and consumers.
    /// Call after `makeRouter`, which lets modules set up what their handlers use.
    func backgroundWork() -> [any Service] {
        let logger = platform.logger(module: "apus")
        let dispatcher = EventDispatcher(
            outbox: platform.events,
            consumers: modules.flatMap { $0.eventConsumers(platform: platform) },
            jobs: platform.jobs,
            logger: logger
        )
        let platformHandlers = [EventRetention.handler(database: platform.database), dispatcher.redeliveryHandler]
        return [
            JobWorker(
                queue: platform.jobs,
                handlers: platformHandlers + modules.flatMap { $0.jobHandlers(platform: platform) },
                recurring: [EventRetention.job] + modules.flatMap { $0.recurringJobs(platform: platform) },
                metrics: JobMetrics(registry: platform.metrics),
                logger: logger
            ),
            dispatcher,
        ]
    }
}

/// Applies session revocations and key rotations announced by other nodes while the node runs.
struct RevocationFollower: Service {
    let identity: Identity

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await identity.followCluster()
        }
    }
}
