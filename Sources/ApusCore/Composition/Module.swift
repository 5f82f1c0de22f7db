public import Hummingbird
public import ServiceLifecycle

/// A part of Apus that a node may run. What a module *is* is static and costs no I/O: its name
/// (also its table and permission prefix), migrations, OpenAPI part and permissions. What it
/// *does* comes from ``start(_:)``, called once for each module the node runs, which returns
/// everything in one ``ModuleParts``. Modules never import each other; they talk through events
/// and the platform's protocols. `docs/writing-a-module.md` walks through one.
public protocol Module: Sendable {
    /// The module's name, as `APUS_MODULES` spells it; its tables are `<name>_...` and its
    /// permissions `<name>.<action>` (``Permission/init(module:_:roles:)``).
    var name: String { get }
    /// Its schema changes.
    var migrations: [Migration] { get }
    /// Its part of the OpenAPI document.
    var openAPI: OpenAPIFragment { get }
    /// The permissions its routes require (they can be API key scopes).
    var permissions: [Permission] { get }
    /// The events it emits, each with the schema of its payload; types start with its name.
    /// Emitting a type no shipped module declares fails.
    var events: [EventDeclaration] { get }
    /// The first path segments it serves outside `/v1` (`socket.io`, `loki`): no short-link
    /// alias may take one, whichever modules a node runs.
    var rootSegments: [String] { get }
    /// A database of its own for what it writes in volume, apart from the shared one on
    /// SQLite; reached with ``Platform/ownDatabase(for:)``.
    var ownDatabase: OwnDatabase? { get }
    /// Starts the module on `platform`: reads its settings (a bad one throws a
    /// ``ConfigurationError`` naming the variable) and returns its routes and background work.
    /// Called only on nodes that run the module, once.
    func start(_ platform: Platform) throws -> ModuleParts
}

extension Module {
    public var migrations: [Migration] { [] }
    public var openAPI: OpenAPIFragment { OpenAPIFragment() }
    public var permissions: [Permission] { [] }
    public var events: [EventDeclaration] { [] }
    public var rootSegments: [String] { [] }
    public var ownDatabase: OwnDatabase? { nil }
}

/// Everything a started module contributes to the node.
public struct ModuleParts {
    /// Its API routes. They sit behind the platform's authentication, the API rate limits and
    /// `Idempotency-Key` replay; middleware a module adds here wraps only its own routes.
    public var routes: RouteCollection<ApusRequestContext>
    /// Public routes outside the API that strangers call in volume (short-link redirects): the
    /// platform limits them per address with the `redirect` policy instead of the API's.
    public var publicRoutes: RouteCollection<ApusRequestContext>
    /// API routes whose request bodies stream to storage as they arrive (tus chunks, which may
    /// be gigabytes): authenticated and rate limited like `routes`, but outside
    /// `Idempotency-Key` replay, which would have to read each body whole. Every other route
    /// replays, whatever a request's content type says.
    public var streamedRoutes: RouteCollection<ApusRequestContext>
    /// Its WebSocket routes: the platform upgrades, authenticates and limits each socket and
    /// closes it when its credentials are revoked on any node.
    public var sockets: [SocketRoute]
    /// Long-running work while the node serves (buffers, followers).
    public var services: [any Service]
    /// The kinds of job it runs, with their handlers.
    public var jobHandlers: [JobHandler]
    /// Work it runs on a schedule, on one node at a time.
    public var recurringJobs: [RecurringJob]
    /// What it does with events from the outbox (its own or other modules').
    public var eventConsumers: [EventConsumer]
    /// How errors under its protocol paths are written instead of problem+json (a Loki or
    /// Elasticsearch client reads its own error bodies).
    public var errorShapes: [ErrorShape]

    public init(
        routes: RouteCollection<ApusRequestContext> = RouteCollection(context: ApusRequestContext.self),
        publicRoutes: RouteCollection<ApusRequestContext> = RouteCollection(context: ApusRequestContext.self),
        streamedRoutes: RouteCollection<ApusRequestContext> = RouteCollection(context: ApusRequestContext.self),
        sockets: [SocketRoute] = [],
        services: [any Service] = [],
        jobHandlers: [JobHandler] = [],
        recurringJobs: [RecurringJob] = [],
        eventConsumers: [EventConsumer] = [],
        errorShapes: [ErrorShape] = []
    ) {
        self.routes = routes
        self.publicRoutes = publicRoutes
        self.streamedRoutes = streamedRoutes
        self.sockets = sockets
        self.services = services
        self.jobHandlers = jobHandlers
        self.recurringJobs = recurringJobs
        self.eventConsumers = eventConsumers
        self.errorShapes = errorShapes
    }
}

extension Permission {
    /// The permission `<module>.<action>`: a module's permissions carry its name.
    public init(module: String, _ action: String, roles: Set<Role>) {
        self.init("\(module).\(action)", roles: roles)
    }
}
