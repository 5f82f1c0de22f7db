public import ApusCore
import Foundation
import Hummingbird
import ServiceLifecycle

/// Log lines from the shippers teams already run (Loki's push API, Elasticsearch's bulk API,
/// syslog over TCP), stored in compressed
/// chunks in a database of the module's own, and read back through Loki's query API with
/// LogQL, so Grafana's Loki data source reads Apus.
public struct LogsModule: Module {
    /// The module's name: its tables are `logs_*`, its permissions `logs.*`.
    public static let name = "logs"
    public var name: String { Self.name }

    /// Shipping lines (an API key with this scope is what a shipper holds).
    public static let write = Permission(module: name, "write", roles: [.admin, .editor])
    /// Querying them.
    public static let read = Permission(module: name, "read", roles: [.admin, .editor])
    /// Making and removing alert rules.
    public static let alerts = Permission(module: name, "alerts", roles: [.admin, .editor])

    public init() {}

    public var permissions: [Permission] { [Self.write, Self.read, Self.alerts] }
    public var openAPI: OpenAPIFragment { LogsOpenAPI.fragment }
    public var events: [EventDeclaration] { LogsEvents.all }
    public var rootSegments: [String] { ["loki", "_bulk", "elasticsearch"] }
    public var ownDatabase: OwnDatabase? { OwnDatabase(migrations: LogsStorageMigrations.all) }

    public func start(_ platform: Platform) throws -> ModuleParts {
        var service = LogsService(storage: try platform.ownDatabase(for: name), settings: try LogsSettings(platform.settings), now: platform.now)
        let storage = service.storage
        let alerts = LogAlerts(storage: storage, platform: platform)
        service.alerts = alerts
        if service.settings.retentionExport { service.archive = platform.objects }
        service.tailFeed = LogTailFeed(bus: platform.bus, logger: platform.logger(module: name))
        let tails = LogTailHub(service: service)
        // Pushes stream in (several MiB, outside replay); queries are plain API routes.
        let streamed = RouteCollection(context: ApusRequestContext.self)
        LokiPushRoute(service: service).add(to: streamed)
        BulkRoute(service: service).add(to: streamed)
        let routes = RouteCollection(context: ApusRequestContext.self)
        LokiQueryRoutes(service: service).add(to: routes)
        TraceRoute(service: service).add(to: routes)
        AlertRoutes(alerts: alerts).add(to: routes)
        let ownLines = service.settings.ownLines
            ? [OwnLines(service: service, node: platform.node, metrics: platform.metrics, logger: platform.logger(module: name)) as any Service] : []
        let syslog = service.settings.syslogPort.map { port in
            SyslogReceiver(service: service, tenant: service.settings.syslogTenant, registry: platform.metrics, logger: platform.logger(module: name))
                .listener(host: service.settings.syslogHost, port: port) as any Service
        }
        return ModuleParts(
            routes: routes, streamedRoutes: streamed, sockets: [TailRoute(service: service, hub: tails).route],
            services: ownLines + (syslog.map { [$0] } ?? []) + [LogTailFollower(hub: tails, bus: platform.bus, logger: platform.logger(module: name))],
            jobHandlers: [LogRetention.handler(service: service), LogCompaction.handler(service: service), AlertEvaluation.handler(alerts: alerts)],
            recurringJobs: [
                LogRetention.job(every: service.settings.retentionEvery), LogCompaction.job(every: service.settings.compactEvery),
                AlertEvaluation.job(every: service.settings.alertEvery),
            ],
            eventConsumers: [LogsEvents.tenantConsumer(storage: service.storage)],
            errorShapes: [LokiErrors.shape, ElasticsearchErrors.shape]
        )
    }
}
