import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// Checkouts and orders: any signed-in user buys; staff fulfil and take returns.
struct CheckoutRoutes {
    let service: InventoryService
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let checkouts = router.group("/v1/checkouts").add(middleware: RequirePermission(InventoryModule.checkout))
        checkouts.post { request, context -> Response in
            let principal = try context.require(InventoryModule.checkout)
            let body = try await request.decodeJSON(as: NewCheckout.self, context: context)
            let key = request.headers[Self.idempotencyKey].flatMap { (1...255).contains($0.utf8.count) ? $0 : nil }
            let checkout = try await service.reserve(body, owner: principal.userID, idempotencyKey: key)
            return try context.created(checkout, at: "/v1/checkouts/\(checkout.id)", for: request)
        }
        checkouts.get("/{id}") { _, context -> Checkout in
            let principal = try context.require(InventoryModule.checkout)
            return try await service.checkout(try context.requireID("id", kind: "checkout"), for: principal)
        }
        checkouts.post("/{id}/cancel") { _, context -> Checkout in
            let principal = try context.require(InventoryModule.checkout)
            return try await service.cancel(try context.requireID("id", kind: "checkout"), by: principal)
        }

        let orders = router.group("/v1/orders").add(middleware: RequirePermission(InventoryModule.checkout))
        orders.get { request, context -> Page<Order> in
            let principal = try context.require(InventoryModule.checkout)
            let limit = try request.pageLimit()
            let page = try await service.orders(for: principal, limit: limit + 1, after: try request.pageCursor())
            return Page(fetched: page, limit: limit) { $0.id }
        }
        orders.get("/{id}") { _, context -> Order in
            let principal = try context.require(InventoryModule.checkout)
            return try await service.order(try context.requireID("id", kind: "order"), for: principal)
        }
        orders.post("/{id}/fulfilment") { request, context -> Order in
            let principal = try context.require(InventoryModule.manage)
            let id = try context.requireID("id", kind: "order")
            let body = try await request.decodeJSON(as: FulfilmentChange.self, context: context)
            guard body.status != .unfulfilled, body.status != .returned else {
                throw Problem.unprocessable("Field status must be shipped or delivered.", errors: [.init(field: "status", message: "must be shipped or delivered")])
            }
            return try await service.fulfil(id, to: body.status, by: principal)
        }
        orders.post("/{id}/returns") { request, context -> Order in
            let principal = try context.require(InventoryModule.manage)
            let id = try context.requireID("id", kind: "order")
            let body = try await request.decodeJSON(as: OrderReturn.self, context: context)
            guard InventoryFields.isText(body.reason, max: 500) else {
                throw Problem.unprocessable("Field reason must be 1-500 characters.", errors: [.init(field: "reason", message: "must be 1-500 characters")])
            }
            return try await service.acceptReturn(id, body, by: principal)
        }
    }
}
