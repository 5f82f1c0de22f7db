import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
public import ServiceLifecycle

/// Composes the platform and the modules a node runs into one HTTP application.
public struct ApusServer: Sendable {
    /// The version reported in the OpenAPI document.
    public static let version = "0.1.0"

    /// The platform the modules share.
    public let platform: Platform
    /// The product modules this node runs, after `APUS_MODULES` selection.
    public let modules: [any Module]
    /// Accounts, sessions, tokens and API keys.
    public let identity: Identity

    /// Picks from `available` the modules `platform.configuration.modules` names (all when unset).
    /// Nothing is started yet: a module's settings are read when the node starts it.
    public init(platform: Platform, available: [any Module]) throws(ConfigurationError) {
        self.platform = platform
        self.identity = Identity(platform: platform)
        platform.eventTypes.declare(IdentityModule.declaredEvents + available.flatMap(\.events))
        platform.routes.declare(available.flatMap(\.rootSegments))
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

    /// The platform's own migrations, which every node runs besides those of its modules:
    /// identity and the job queue are used by the platform itself, whatever modules run.
    package static let platformMigrations = [IdempotencyStore.migration, SharedRateLimiter.migration, InstallSecrets.migration] + IdentityMigrations.all + JobsMigrations.all

    /// The modules every node runs (identity, the job admin), then the selected ones.
    var allModules: [any Module] {
        let jobs = JobsModule(queue: platform.jobs)
        // Identity offers every permission of the node as an API key scope.
        let everyPermission = IdentityModule.ownPermissions + jobs.permissions + modules.flatMap(\.permissions)
        return [IdentityModule(identity: identity, allPermissions: everyPermission), jobs] + modules
    }

    /// Every permission of the platform and the running modules.
    public var permissions: [Permission] { allModules.flatMap(\.permissions) }

    /// Every migration of the platform and the running modules that the shared database takes:
    /// with their own databases' where those live in it (PostgreSQL).
    public var migrations: [Migration] {
        let own = modules.compactMap { module in
            platform.ownDatabases.entry(module.name).flatMap { $0.database.isSeparate ? nil : $0.migrations }
        }
        return Self.platformMigrations + modules.flatMap(\.migrations) + own.flatMap { $0 }
    }

    /// A migrator for this node's migrations: the shared database's, then each database of a
    /// module's own (``openOwnDatabases(sharingWith:)`` first).
    public var migrator: Migrator {
        let own = platform.ownDatabases.separate.map { Migrator(database: $0.entry.database.database, migrations: $0.entry.migrations, logger: platform.logger) }
        return Migrator(database: platform.database, migrations: migrations, logger: platform.logger, companions: own)
    }

    /// Opens the databases the running modules keep of their own (``Module/ownDatabase``), before
    /// they start or migrate. A second node of the same process (tests) passes the first, so a
    /// file is never opened twice.
    public func openOwnDatabases(sharingWith other: ApusServer? = nil) async throws {
        for module in modules {
            guard let own = module.ownDatabase else { continue }
            if let entry = other?.platform.ownDatabases.entry(module.name) {
                platform.ownDatabases.register(module.name, entry)
                continue
            }
            let companion = try await platform.database.companion(named: module.name)
            let database = ModuleDatabase(isSeparate: companion != nil, database: companion ?? platform.database)
            platform.ownDatabases.register(module.name, .init(database: database, migrations: own.migrations))
        }
    }

    /// The OpenAPI document of the running modules; a schema or operation id defined twice is
    /// an error.
    public func openAPIDocument() throws -> JSONValue {
        try OpenAPIDocument.build(version: Self.version, fragments: [CoreRoutes.openAPI] + allModules.map(\.openAPI), events: platform.eventTypes.all)
    }

    /// A started node: its router and everything that runs beside it.
    public struct Started {
        /// Every route with the platform's middleware.
        public let router: SegmentRouter<ApusRequestContext>
        /// The router that decides which requests upgrade to a WebSocket.
        public let socketRouter: Router<SocketRequestContext>
        /// The sockets open on this node.
        package let sockets: OpenSockets
        /// The paths of the WebSocket routes (not API operations: the README describes their frames).
        public let socketPaths: [String]
        /// The modules' services, the job worker and the event dispatcher.
        public let services: [any Service]
    }

    /// Starts every module once and composes what they return.
    public func start() throws -> Started {
        let parts = try allModules.map { module in try module.start(platform) }
        let sockets = OpenSockets(
            settings: platform.configuration.sockets, metrics: platform.metrics,
            authenticator: { [identity, logger = platform.logger] token in
                // A database that cannot answer for a moment is not a bad token: a 4401 would
                // tell the client to drop its credentials. Ask again briefly before refusing.
                for attempt in 1...3 {
                    do {
                        return try await identity.principal(token: token)
                    } catch {
                        logger.warning("cannot check a socket's token", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                        try? await Task.sleep(for: .milliseconds(100 * attempt))
                    }
                }
                return nil
            },
            stillValid: { [identity] principal in await identity.isStillValid(principal) }
        )
        let serving = SocketServing(routes: parts.flatMap(\.sockets), sockets: sockets)
        return Started(
            router: try makeRouter(parts, sockets: serving), socketRouter: serving.upgradeRouter(), sockets: sockets,
            socketPaths: serving.routes.map(\.path),
            services: [OpenSockets.Follower(sockets: sockets, bus: platform.bus)] + backgroundWork(parts)
        )
    }

    /// The router alone (tests that look at routes).
    public func makeRouter() throws -> SegmentRouter<ApusRequestContext> {
        try start().router
    }

    private func makeRouter(_ parts: [ModuleParts], sockets: SocketServing) throws -> SegmentRouter<ApusRequestContext> {
        let router = SegmentRouter(context: ApusRequestContext.self)
        let configuration = platform.configuration
        let clientAddress = try ClientAddress(trustedProxies: configuration.trustedProxies)
        router.add(middleware: PlatformMiddleware(
            metrics: HTTPMetricsMiddleware(registry: platform.metrics),
            authentication: AuthenticationMiddleware(identity: identity, failures: RateLimiter(policy: configuration.authFailureRateLimit), clientAddress: clientAddress),
            cors: configuration.cors,
            errorShapes: parts.flatMap(\.errorShapes),
            replicas: platform.replicas
        ))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let document = try encoder.encode(try openAPIDocument())
        // Middleware applies to the routes added after it: probes and documents first, then the
        // public routes under their own limit, then the API under its limits (the routes that
        // stream their bodies before replay is added, the rest after).
        CoreRoutes(
            readiness: ReadinessCheck(database: platform.database, migrator: migrator), platform: platform, openAPIDocument: document,
            entryPoints: EntryPoints(version: Self.version, modules: modules.map(\.name), sockets: sockets.routes.map(\.path))
        ).add(to: router)
        let publicRoutes = router.group().add(
            middleware: RateLimitMiddleware(limiter: platform.limiter(configuration.redirectRateLimit), clientAddress: clientAddress, advertises: false)
        )
        for part in parts { publicRoutes.addRoutes(part.publicRoutes) }
        router.add(middleware: RateLimitMiddleware(limiter: platform.limiter(configuration.defaultRateLimit), clientAddress: clientAddress))
        for part in parts { router.addRoutes(part.streamedRoutes) }
        sockets.addPlainAnswers(to: router)
        router.add(middleware: IdempotencyMiddleware(store: IdempotencyStore(database: platform.database, now: platform.now)))
        for part in parts { router.addRoutes(part.routes) }
        // Added last, so it wraps only the not-found responder.
        router.add(middleware: AllowedMethodsMiddleware(allowedMethods: AllowedMethods(router: router)))
        platform.routes.record(router)
        return router
    }

    /// The modules' services, the cache follower, the job worker and the event dispatcher.
    private func backgroundWork(_ parts: [ModuleParts]) -> [any Service] {
        let logger = platform.logger(module: "apus")
        let dispatcher = EventDispatcher(
            outbox: platform.events,
            consumers: parts.flatMap(\.eventConsumers),
            jobs: platform.jobs,
            logger: logger,
            afterCommit: { [platform] effects in await platform.perform(effects) }
        )
        let platformHandlers = [EventRetention.handler(database: platform.database, logger: logger, metrics: platform.metrics, now: platform.now), dispatcher.redeliveryHandler]
        let worker = JobWorker(
            queue: platform.jobs,
            handlers: platformHandlers + parts.flatMap(\.jobHandlers),
            recurring: [EventRetention.job] + parts.flatMap(\.recurringJobs),
            metrics: JobMetrics(registry: platform.metrics),
            logger: logger
        )
        let replicaChecks: [any Service] = platform.replicas.map { [ReadReplicas.Checks(replicas: $0, now: platform.now)] } ?? []
        return replicaChecks + [CacheRegistry.Follower(registry: platform.caches)] + parts.flatMap(\.services) + [worker, dispatcher]
    }

    /// The HTTP application, with the modules' services.
    public func makeApplication() throws -> some ApplicationProtocol {
        try makeApplication(try start())
    }

    /// The node as the services a service group runs, in order: the application, then what
    /// must happen before it drains on SIGTERM (open sockets are closed with 1001 first, since
    /// the server waits for its connections and a socket would hold it for the whole grace).
    public func makeServices() throws -> [any Service] {
        let started = try start()
        return [try makeApplication(started), SocketShutdown(sockets: started.sockets)]
    }

    private func makeApplication(_ started: Started) throws -> some ApplicationProtocol {
        let configuration = platform.configuration
        let sockets = configuration.sockets
        let upgrades = started.socketRouter.buildResponder()
        let channel = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(idleTimeout: .milliseconds(Int64(configuration.httpIdleTimeout * 1000))),
            ws: .init(
                maxFrameSize: sockets.maxMessageBytes,
                // The platform's keepalive pings instead, without a task per socket (`SocketKeepalive`).
                autoPing: .disabled,
                closeTimeout: SocketCloser.closeTimeout
            )
        )
        return Application(
            router: started.router,
            server: HTTPServerBuilder { responder in
                UpgradableHTTPChannel(inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: upgrades, configuration: channel))
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "apus"),
            services: started.services,
            logger: platform.logger
        )
    }
}

extension Platform {
    /// A node-local limiter for `policy`, or a shared one when `APUS_RATE_LIMIT_SHARED` names it.
    func limiter(_ policy: RateLimitPolicy) -> any RateLimiting {
        configuration.sharedRateLimits.contains(policy.name)
            ? SharedRateLimiter(policy: policy, database: database, now: now)
            : RateLimiter(policy: policy)
    }
}
