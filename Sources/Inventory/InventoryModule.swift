public import ApusCore
import Foundation
import Hummingbird

/// Products, stock per location, checkouts that reserve all their lines or none, and orders
/// confirmed by signed payment webhooks. Stock can never be oversold: every decrement is a
/// conditional update, rows are locked in one order, and every change leaves a movement.
public struct InventoryModule: Module {
    /// The module's name: its tables are `inventory_*`, its permissions `inventory.*`.
    public static let name = "inventory"
    public var name: String { Self.name }

    /// Managing the catalogue, locations, stock and orders (staff).
    public static let manage = Permission(module: name, "manage", roles: [.admin, .editor])
    /// Buying: checkouts and one's own orders (any signed-in role).
    public static let checkout = Permission(module: name, "checkout", roles: Set(Role.allCases))
    /// A 409: checkout lines the stock cannot cover; `errors` names each line with what is available.
    public static let insufficientStock = ProblemType.module(
        name, "insufficient-stock", meaning: "The stock at the location cannot cover the lines `errors` names, each with what is available."
    )

    public init() {}

    public var migrations: [Migration] { InventoryMigrations.all }
    public var events: [EventDeclaration] { InventoryEvents.declarations }
    public var permissions: [Permission] { [Self.manage, Self.checkout] }
    public var openAPI: OpenAPIFragment { InventoryOpenAPI.fragment }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let settings = try InventorySettings(platform.settings)
        let service = InventoryService(platform: platform, settings: settings)
        let routes = RouteCollection(context: ApusRequestContext.self)
        ProductRoutes(service: service).add(to: routes)
        StockRoutes(service: service).add(to: routes)
        CheckoutRoutes(service: service).add(to: routes)
        let publicRoutes = RouteCollection(context: ApusRequestContext.self)
        PaymentWebhookRoute(service: service).add(to: publicRoutes)
        return ModuleParts(
            routes: routes,
            publicRoutes: publicRoutes,
            jobHandlers: [ExpiredReservations.handler(service: service)],
            recurringJobs: [ExpiredReservations.schedule(settings)],
            eventConsumers: [InventoryOwnerEvents.consumer(service: service)]
        )
    }
}
