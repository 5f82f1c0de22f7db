import ApusCore
import Foundation
import Hummingbird

/// Locations and stock, for staff with `inventory.manage`.
struct StockRoutes {
    let service: InventoryService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let inventory = router.group("/v1/inventory").add(middleware: RequirePermission(InventoryModule.manage))
        inventory.post("/locations") { request, context -> Response in
            _ = try context.require(InventoryModule.manage)
            let body = try await request.decodeJSON(as: NewLocation.self, context: context)
            var errors: [Problem.FieldError] = []
            if !InventoryFields.isCode(body.code) { errors.append(.init(field: "code", message: "must be 1-64 of A-Z a-z 0-9 . _ -")) }
            if !InventoryFields.isText(body.name, max: 200) { errors.append(.init(field: "name", message: "must be 1-200 characters")) }
            try Problem.throwIfInvalid(errors)
            let location = try await service.createLocation(body)
            return try context.created(location, at: "/v1/inventory/locations", for: request)
        }
        inventory.get("/locations") { _, context -> Page<Location> in
            _ = try context.require(InventoryModule.manage)
            return Page(items: try await service.locations(), nextCursor: nil)
        }
        inventory.post("/stock/adjustments") { request, context -> Response in
            let principal = try context.require(InventoryModule.manage)
            let body = try await request.decodeJSON(as: StockAdjustment.self, context: context)
            var errors: [Problem.FieldError] = []
            if !InventoryFields.isCode(body.sku) { errors.append(.init(field: "sku", message: "must be 1-64 of A-Z a-z 0-9 . _ -")) }
            if !InventoryFields.isCode(body.location) { errors.append(.init(field: "location", message: "must be 1-64 of A-Z a-z 0-9 . _ -")) }
            if body.delta == 0 || abs(body.delta) > InventoryFields.maxDelta { errors.append(.init(field: "delta", message: "must be non-zero, at most \(InventoryFields.maxDelta) either way")) }
            if !InventoryFields.isText(body.reason, max: 500) { errors.append(.init(field: "reason", message: "must be 1-500 characters")) }
            if let kind = body.kind, kind != "received", kind != "adjusted" { errors.append(.init(field: "kind", message: "must be received or adjusted")) }
            if body.kind == "received", body.delta < 0 { errors.append(.init(field: "delta", message: "must be positive for goods received")) }
            try Problem.throwIfInvalid(errors)
            let stock = try await service.adjust(body, by: principal.userID)
            return try context.created(stock, at: "/v1/inventory/stock?sku=\(body.sku)", for: request)
        }
        inventory.get("/stock") { request, context -> SKUStock in
            _ = try context.require(InventoryModule.manage)
            return try await service.stock(sku: try Self.sku(request))
        }
        inventory.get("/movements") { request, context -> Page<Movement> in
            _ = try context.require(InventoryModule.manage)
            let limit = try request.pageLimit()
            let cursor = try request.pageCursor()
            let page = try await service.movements(sku: try Self.sku(request), limit: limit + 1, after: cursor)
            return Page(fetched: page, limit: limit) { $0.id }
        }
    }

    /// `?sku=`, required.
    static func sku(_ request: Request) throws -> String {
        guard let sku = request.uri.queryParameters.get("sku").map({ String($0) }), InventoryFields.isCode(sku) else {
            throw Problem.badRequest("sku is required: 1-64 of A-Z a-z 0-9 . _ -.")
        }
        return sku
    }
}
