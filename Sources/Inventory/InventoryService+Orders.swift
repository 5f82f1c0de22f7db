import ApusCore
import Foundation

extension InventoryService {
    /// Whether `principal` sees every order: an admin, or staff who manage the inventory.
    func seesAllOrders(_ principal: Principal) -> Bool {
        principal.isAdmin || principal.has(InventoryModule.manage)
    }

    /// The order `id` if `principal` owns it or is staff; else 404.
    func order(_ id: String, for principal: Principal) async throws -> Order {
        let order = try await platform.read { [checkouts] sql in try await checkouts.order(id: id, on: sql) }
        guard let order, seesAllOrders(principal) || order.ownerId == principal.userID else { throw Problem.notFound("No order \(id).") }
        return order
    }

    /// A page of orders by id: the caller's, or everyone's for staff.
    func orders(for principal: Principal, limit: Int, after cursor: String?) async throws -> [Order] {
        let owner = seesAllOrders(principal) ? nil : principal.userID
        return try await platform.read { [checkouts] sql in try await checkouts.orders(owner: owner, limit: limit, after: cursor, on: sql) }
    }

    /// Moves a paid order's fulfilment on (unfulfilled → shipped → delivered); 409 otherwise.
    func fulfil(_ id: String, to status: FulfilmentStatus, by principal: Principal) async throws -> Order {
        let now = platform.now()
        return try await platform.transaction { [checkouts] transaction in
            guard let order = try await checkouts.order(id: id, on: transaction.sql) else { throw Problem.notFound("No order \(id).") }
            guard order.status == .paid else { throw Problem.conflict("The order is \(order.status.rawValue); only a paid order is fulfilled.") }
            let allowed: [FulfilmentStatus: Set<FulfilmentStatus>] = [.unfulfilled: [.shipped, .delivered], .shipped: [.delivered]]
            guard allowed[order.fulfilment]?.contains(status) == true else {
                throw Problem.conflict("An order that is \(order.fulfilment.rawValue) cannot become \(status.rawValue).")
            }
            try await checkouts.setFulfilment(order: id, to: status, at: now, on: transaction.sql)
            var changed = order
            changed.fulfilment = status
            changed.updatedAt = now
            return changed
        }
    }

    /// Puts returned units of a paid order back on the shelf at the checkout's location; 422
    /// when more come back than were sold.
    func acceptReturn(_ id: String, _ body: OrderReturn, by principal: Principal) async throws -> Order {
        try InventoryFields.validate(lines: body.lines)
        let now = platform.now()
        return try await retry.run(onRetry: { [metrics] in metrics.conflictRetried() }) { [self] in
            try await platform.transaction { transaction in
                try await transaction.setLockTimeout(settings.lockTimeout)
                guard let order = try await checkouts.order(id: id, on: transaction.sql) else { throw Problem.notFound("No order \(id).") }
                guard order.status == .paid else { throw Problem.conflict("The order is \(order.status.rawValue); only a paid order takes returns.") }
                guard let record = try await checkouts.checkout(id: order.checkoutId, on: transaction.sql) else { throw Problem.notFound("No order \(id).") }
                let bySKU = Dictionary(uniqueKeysWithValues: record.lines.map { ($0.line.sku, $0) })
                var errors: [Problem.FieldError] = []
                let wanted = body.lines.enumerated().compactMap { index, line -> (Int, CheckoutStore.StoredLine, Int)? in
                    guard let stored = bySKU[line.sku] else {
                        errors.append(.init(field: "lines[\(index)].sku", message: "is not in this order"))
                        return nil
                    }
                    return (index, stored, line.quantity)
                }.sorted { $0.1.variantID < $1.1.variantID }
                try Problem.throwIfInvalid(errors)
                for (index, stored, quantity) in wanted {
                    guard try await checkouts.addReturned(checkoutID: record.checkout.id, variantID: stored.variantID, quantity: quantity, on: transaction.sql) else {
                        throw Problem.unprocessable("Field lines[\(index)].quantity is more than was sold and not yet returned.", errors: [.init(field: "lines[\(index)].quantity", message: "more than was sold and not yet returned")])
                    }
                    let change = StockStore.Change(
                        variantID: stored.variantID, sku: stored.line.sku, locationID: record.locationID, kind: .returned, onHand: quantity, reserved: 0,
                        actor: principal.userID, reason: body.reason, reference: order.id
                    )
                    guard try await stock.apply(change, at: now, on: transaction.sql) != nil else {
                        throw InventoryInvariantBroken(detail: "returning \(stored.line.sku) to \(record.checkout.id)")
                    }
                }
                let lines = try await checkouts.lines(checkoutID: record.checkout.id, on: transaction.sql)
                if lines.allSatisfy({ $0.line.returned == $0.line.quantity }) {
                    try await checkouts.setFulfilment(order: id, to: .returned, at: now, on: transaction.sql)
                }
                guard let updated = try await checkouts.order(id: id, on: transaction.sql) else { throw Problem.notFound("No order \(id).") }
                return updated
            }
        }
    }
}
