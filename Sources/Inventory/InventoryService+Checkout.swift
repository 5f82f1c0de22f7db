import ApusCore
import Foundation
import HTTPTypes

extension InventoryService {
    /// A line as the reservation works on it: the variant it locks and what it costs.
    struct PricedLine: Sendable {
        var index: Int
        var variant: Variant
        var quantity: Int
    }

    /// Reserves every line of `body` at one location for `owner`, or none: 422 for bad lines, 409
    /// listing the lines that fell short with what is available, 503 when conflicts outlasted the
    /// retries. Stock rows are locked in one global order, by variant id, so two carts holding
    /// the same SKUs in opposite orders wait for each other instead of deadlocking.
    ///
    /// With `idempotencyKey`, a checkout this buyer already made with that key is answered
    /// instead of a second one: the platform's replay covers a finished request, this covers a
    /// request whose node died after its commit and before its answer was stored.
    func reserve(_ body: NewCheckout, owner: String, idempotencyKey: String? = nil) async throws -> Checkout {
        // A checkout priced from this node's cache before it heard of a committed change to a
        // price or a product's sale is priced again from the database (twice at most, should
        // the catalogue keep changing under it).
        for _ in 0..<2 {
            do {
                return try await reserveOnce(body, owner: owner, idempotencyKey: idempotencyKey)
            } catch let stale as StaleSaleTerms {
                for sku in stale.skus { sale.variants.invalidate(sku) }
            }
        }
        do {
            return try await reserveOnce(body, owner: owner, idempotencyKey: idempotencyKey)
        } catch is StaleSaleTerms {
            throw Problem(.conflict, detail: "The catalogue changed while this checkout was made; try again.", headers: [.retryAfter: "1"])
        }
    }

    private func reserveOnce(_ body: NewCheckout, owner: String, idempotencyKey: String?) async throws -> Checkout {
        if let idempotencyKey, let made = try await existing(owner: owner, key: idempotencyKey) { return made }
        let lines: [PricedLine]
        let location: Location
        do {
            try InventoryFields.validate(lines: body.lines)
            (lines, location) = try await resolve(body)
        } catch {
            metrics.reservation("invalid")
            throw error
        }
        let now = platform.now()
        let ordered = lines.sorted { $0.variant.id < $1.variant.id }
        let currency = lines[0].variant.currency
        let checkoutID = OpaqueID.make("chk", at: now)
        let checkout = Checkout(
            id: checkoutID, orderId: OpaqueID.make("ord", at: now), ownerId: owner, status: .reserved, location: location.code,
            lines: lines.map { CheckoutLine(sku: $0.variant.sku, quantity: $0.quantity, unitPrice: $0.variant.price, returned: 0) },
            amount: lines.reduce(0) { $0 + $1.quantity * $1.variant.price }, currency: currency,
            expiresAt: now.addingTimeInterval(settings.reservationSeconds), createdAt: now
        )
        let pending = PendingReservation(
            record: CheckoutStore.Record(
                checkout: checkout, locationID: location.id,
                lines: ordered.map { .init(variantID: $0.variant.id, line: CheckoutLine(sku: $0.variant.sku, quantity: $0.quantity, unitPrice: $0.variant.price, returned: 0)) }
            ),
            order: Order(
                id: checkout.orderId, checkoutId: checkoutID, ownerId: owner, status: .pendingPayment, fulfilment: .unfulfilled,
                amount: checkout.amount, currency: currency, lines: checkout.lines, paymentId: nil, createdAt: now, updatedAt: now
            ),
            idempotencyKey: idempotencyKey, lines: ordered, movementIDs: ordered.map { _ in OpaqueID.make("mov", at: now) }, location: location
        )
        do {
            let checkout = try await combiner.submit(pending) { [weak self] batch in
                guard let self else { return batch.map { _ in .failure(CancellationError()) } }
                return await self.write(batch)
            }
            metrics.reservation("reserved")
            return checkout
        } catch let problem as Problem {
            metrics.reservation(problem.status == .conflict ? "insufficient" : "invalid")
            throw problem
        } catch is ConflictRetriesExhausted {
            metrics.reservation("conflict")
            throw Problem(.serviceUnavailable, detail: "Too many checkouts compete for this stock; retry shortly.", headers: [.retryAfter: "1"])
        } catch where idempotencyKey != nil {
            // Two requests with one key raced past the platform's claim: the loser answers the winner's checkout.
            guard let idempotencyKey, let made = try await existing(owner: owner, key: idempotencyKey) else { throw error }
            return made
        }
    }

    private func existing(owner: String, key: String) async throws -> Checkout? {
        // The primary: the winner committed a moment ago.
        try await platform.read.primary { [checkouts] sql in try await checkouts.checkout(owner: owner, idempotencyKey: key, on: sql) }?.checkout
    }

    /// The variants and location `body` names: 422 naming the field that names nothing, a
    /// product not for sale, or a price in another currency.
    private func resolve(_ body: NewCheckout) async throws -> ([PricedLine], Location) {
        if let code = body.location, !InventoryFields.isCode(code) {
            throw Problem.unprocessable("Field location must be a location code.", errors: [.init(field: "location", message: "must be 1-64 of A-Z a-z 0-9 . _ -")])
        }
        if let currency = body.currency, !InventoryFields.isCurrency(currency) {
            throw Problem.unprocessable("Field currency must be an ISO 4217 code.", errors: [.init(field: "currency", message: "must be an ISO 4217 code such as EUR")])
        }
        // From this node's cache: a checkout of known SKUs reads nothing of the catalogue.
        let variants = try await sale.variants.values(for: body.lines.map(\.sku)) { [catalogue, platform] missing in
            // Cache loads read the primary: a replica's older price would stay cached.
            try await platform.read.primary { sql in try await catalogue.variantsForSale(skus: missing, on: sql) }
        }
        let location = try await sale.locations.value(for: body.location ?? SaleCatalogue.defaultLocation) { [catalogue, platform] in
            try await platform.read.primary { sql in
                if let code = body.location { try await catalogue.location(code: code, on: sql) } else { try await catalogue.defaultLocation(on: sql) }
            }
        }
        var errors: [Problem.FieldError] = []
        var lines: [PricedLine] = []
        for (index, line) in body.lines.enumerated() {
            guard let entry = variants[line.sku] else {
                errors.append(.init(field: "lines[\(index)].sku", message: "no such SKU"))
                continue
            }
            let variant = entry.variant
            if !entry.published { errors.append(.init(field: "lines[\(index)].sku", message: "is not for sale")) }
            let expected = body.currency ?? lines.first?.variant.currency ?? variant.currency
            if variant.currency != expected {
                errors.append(.init(field: body.currency == nil ? "lines[\(index)].sku" : "currency", message: "is priced in \(variant.currency), not \(expected)"))
            }
            lines.append(PricedLine(index: index, variant: variant, quantity: line.quantity))
        }
        guard let location else {
            errors.append(body.location == nil ? .init(field: "location", message: "no location holds stock yet") : .init(field: "location", message: "no such location"))
            try Problem.throwIfInvalid(errors)
            throw Problem.unprocessable("No location.", errors: errors)
        }
        try Problem.throwIfInvalid(errors)
        return (lines, location)
    }

    /// The checkout `id` if `principal` may see it; else 404.
    func checkout(_ id: String, for principal: Principal) async throws -> Checkout {
        // The primary: a client asks for (or cancels) the checkout it has just made.
        let record = try await platform.read.primary { [checkouts] sql in try await checkouts.checkout(id: id, on: sql) }
        guard let record, principal.mayAccess(ownedBy: record.checkout.ownerId) else { throw Problem.notFound("No checkout \(id).") }
        return record.checkout
    }

    /// Gives a reserved checkout's stock back and cancels its order; 409 when it holds none.
    func cancel(_ id: String, by principal: Principal) async throws -> Checkout {
        _ = try await checkout(id, for: principal)
        let now = platform.now()
        return try await retry.run(onRetry: { [metrics] in metrics.conflictRetried() }) { [self] in
            try await platform.transaction { transaction in
                try await transaction.setLockTimeout(settings.lockTimeout)
                guard let record = try await checkouts.checkout(id: id, locking: true, on: transaction.sql) else { throw Problem.notFound("No checkout \(id).") }
                guard try await checkouts.transition(id, from: .reserved, to: .released, at: now, on: transaction.sql) else {
                    throw Problem.conflict("The checkout is \(record.checkout.status.rawValue); only a reserved one can be cancelled.")
                }
                try await release(record, reason: "canceled", actor: principal.userID, now: now, in: transaction)
                _ = try await checkouts.setStatus(order: record.checkout.orderId, from: [.pendingPayment], to: .canceled, at: now, on: transaction.sql)
                var checkout = record.checkout
                checkout.status = .released
                return checkout
            }
        }
    }

    /// Gives back the stock `record` holds (its lines are in lock order).
    func release(_ record: CheckoutStore.Record, reason: String, actor: String, now: Date, in transaction: Transaction) async throws {
        for stored in record.lines {
            let change = StockStore.Change(
                variantID: stored.variantID, sku: stored.line.sku, locationID: record.locationID, kind: .released, onHand: 0,
                reserved: -stored.line.quantity, actor: actor, reason: reason, reference: record.checkout.id
            )
            guard try await stock.apply(change, at: now, on: transaction.sql) != nil else {
                throw InventoryInvariantBroken(detail: "releasing \(stored.line.sku) of \(record.checkout.id) would make reserved negative")
            }
        }
    }

    /// Releases every reservation that ran out by `now`, each exactly once even when several
    /// nodes run this at the same time; returns how many this call released.
    func releaseExpired(now: Date) async throws -> Int {
        var released = 0
        // Bounded: a batch another node is still releasing comes back until it commits.
        for _ in 0..<1000 {
            let due = try await platform.read { [checkouts] sql in try await checkouts.expired(before: now, limit: 100, on: sql) }
            var progressed = false
            for id in due {
                let won = try await retry.run(onRetry: { [metrics] in metrics.conflictRetried() }) { [self] in
                    try await platform.transaction { transaction in
                        try await transaction.setLockTimeout(settings.lockTimeout)
                        guard let record = try await checkouts.checkout(id: id, locking: true, on: transaction.sql),
                            try await checkouts.transition(id, from: .reserved, to: .expired, at: now, on: transaction.sql)
                        else { return false }
                        try await release(record, reason: "expired", actor: "system", now: now, in: transaction)
                        _ = try await checkouts.setStatus(order: record.checkout.orderId, from: [.pendingPayment], to: .expired, at: now, on: transaction.sql)
                        try await transaction.emit(InventoryEvents.reservationExpired, aggregate: id, json: ExpiredReservation(checkoutId: id, orderId: record.checkout.orderId, ownerId: record.checkout.ownerId), owner: record.checkout.ownerId)
                        return true
                    }
                }
                if won { released += 1 }
                progressed = true
            }
            if due.count < 100 || !progressed { return released }
        }
        return released
    }

    /// What `inventory.reservation.expired` carries.
    struct ExpiredReservation: Encodable {
        var checkoutId: String
        var orderId: String
        var ownerId: String
    }
}

/// Stock and the holds on it disagree: a bug, never the client's fault (answered 500, logged).
struct InventoryInvariantBroken: Error, CustomStringConvertible {
    var detail: String
    var description: String { "inventory invariant broken: \(detail)" }
}
