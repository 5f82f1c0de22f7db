public import Hummingbird
public import ServiceLifecycle

/// A part of Apus that a node may run: it hands the composition its routes, migrations,
/// background services and part of the OpenAPI document. Modules never import each other.
public protocol Module: Sendable {
    /// The module's name, as `APUS_MODULES` spells it and as its table prefix.
    var name: String { get }
    /// Its schema changes.
    var migrations: [Migration] { get }
    /// Its part of the OpenAPI document.
    var openAPI: OpenAPIFragment { get }
    /// The permissions its routes require (they can be API key scopes).
    var permissions: [Permission] { get }
    /// Adds its routes to `router`.
    func addRoutes(to router: Router<ApusRequestContext>, platform: Platform) throws
    /// Long-running work it needs while the node serves (workers, flushers).
    func services(platform: Platform) -> [any Service]
    /// The kinds of job it runs, with their handlers. Called after `addRoutes`.
    func jobHandlers(platform: Platform) -> [JobHandler]
    /// Work it runs on a schedule.
    func recurringJobs(platform: Platform) -> [RecurringJob]
    /// What it does with events from the outbox (its own or other modules'). Called after `addRoutes`.
    func eventConsumers(platform: Platform) -> [EventConsumer]
}

extension Module {
    public var migrations: [Migration] { [] }
    public var openAPI: OpenAPIFragment { OpenAPIFragment() }
    public var permissions: [Permission] { [] }
    public func services(platform: Platform) -> [any Service] { [] }
    public func jobHandlers(platform: Platform) -> [JobHandler] { [] }
    public func recurringJobs(platform: Platform) -> [RecurringJob] { [] }
    public func eventConsumers(platform: Platform) -> [EventConsumer] { [] }
}
