import ApusCore
import Foundation

extension InventoryService {
    /// Verifies and applies one webhook delivery: 400 for a bad signature or body (nothing
    /// changes), otherwise a receipt. Each provider event id takes effect once; a redelivery is
    /// answered `duplicate` and changes nothing.
    func receivePayment(payload: [UInt8], signature: String?) async throws -> PaymentReceipt {
        guard let secret = settings.paymentSecret else {
            logger.warning("payment webhook refused: APUS_INVENTORY_PAYMENT_SECRET is not set")
            throw Problem.badRequest("This node takes no payment webhooks (no signing secret is configured).")
        }
        do {
            try PaymentSignature(secret: secret, tolerance: settings.paymentTolerance).verify(header: signature, payload: payload, now: platform.now())
        } catch {
            throw Problem.badRequest("Signature refused: \(error.description).")
        }
        let event: PaymentEvent
        do {
            event = try JSONDecoder().decode(PaymentEvent.self, from: Data(payload))
        } catch {
            throw Problem.badRequest("The body is not a payment event.")
        }
        guard (1...255).contains(event.id.utf8.count), !event.id.utf8.contains(0) else { throw Problem.badRequest("The event id is not one a provider sends.") }
        let now = platform.now()
        return try await retry.run(onRetry: { [metrics] in metrics.conflictRetried() }) { [self] in
            try await platform.transaction { transaction in
                try await transaction.setLockTimeout(settings.lockTimeout)
                let checkoutID = event.checkoutID.flatMap { OpaqueID.isWellFormed($0) ? $0 : nil }
                guard try await checkouts.recordPaymentEvent(id: event.id, type: String(event.type.prefix(100)), checkoutID: checkoutID, at: now, on: transaction.sql) else {
                    return PaymentReceipt(eventId: event.id, outcome: "duplicate")
                }
                let outcome = try await apply(event, checkoutID: checkoutID, now: now, in: transaction)
                try await checkouts.setPaymentOutcome(id: event.id, outcome, on: transaction.sql)
                return PaymentReceipt(eventId: event.id, outcome: outcome)
            }
        }
    }

    private func apply(_ event: PaymentEvent, checkoutID: String?, now: Date, in transaction: Transaction) async throws -> String {
        // Locked: the decision below is made on the status as it is, not on one that a cancel or
        // an expiry committing meanwhile has already changed.
        guard let checkoutID, let record = try await checkouts.checkout(id: checkoutID, locking: true, on: transaction.sql) else { return "ignored" }
        await hooks.paymentDecision(checkoutID)
        switch event.type {
        case PaymentEvent.succeeded:
            return try await paid(record, event: event, now: now, in: transaction)
        case PaymentEvent.failed, PaymentEvent.canceled:
            guard try await checkouts.transition(checkoutID, from: .reserved, to: .released, at: now, on: transaction.sql) else { return "ignored" }
            try await release(record, reason: "payment \(event.type == PaymentEvent.failed ? "failed" : "canceled")", actor: "system", now: now, in: transaction)
            _ = try await checkouts.setStatus(order: record.checkout.orderId, from: [.pendingPayment], to: .canceled, at: now, on: transaction.sql)
            return "released"
        default:
            return "ignored"
        }
    }

    /// A successful payment: commits the held stock and marks the order paid. A payment that
    /// does not match the order, or that came after the hold ended and finds the stock gone,
    /// marks the order for a refund and says so with an event.
    private func paid(_ record: CheckoutStore.Record, event: PaymentEvent, now: Date, in transaction: Transaction) async throws -> String {
        let checkout = record.checkout
        let orderID = checkout.orderId
        let intent = event.data.object
        let amount = intent.amountReceived ?? intent.amount
        let open: [OrderStatus] = [.pendingPayment, .expired, .canceled]
        guard amount == checkout.amount, intent.currency?.uppercased() == checkout.currency else {
            if try await checkouts.transition(checkout.id, from: .reserved, to: .released, at: now, on: transaction.sql) {
                try await release(record, reason: "payment did not match the order", actor: "system", now: now, in: transaction)
            }
            guard try await checkouts.setStatus(order: orderID, from: open, to: .refundNeeded, paymentID: intent.id, at: now, on: transaction.sql) else { return "ignored" }
            try await refundNeeded(record, why: "amount_mismatch", paymentID: intent.id, in: transaction)
            return OrderStatus.refundNeeded.rawValue
        }
        if try await checkouts.transition(checkout.id, from: .reserved, to: .committed, at: now, on: transaction.sql) {
            for stored in record.lines {
                try await commit(stored, of: record, reason: "paid", now: now, in: transaction)
            }
        } else if checkout.status == .expired || checkout.status == .released {
            // The hold is gone: take the units again if they are still free, all or none.
            guard try await reacquire(record, now: now, in: transaction) else {
                guard try await checkouts.setStatus(order: orderID, from: open, to: .refundNeeded, paymentID: intent.id, at: now, on: transaction.sql) else { return "ignored" }
                try await refundNeeded(record, why: "stock_gone", paymentID: intent.id, in: transaction)
                return OrderStatus.refundNeeded.rawValue
            }
            _ = try await checkouts.transition(checkout.id, from: checkout.status, to: .committed, at: now, on: transaction.sql)
        } else {
            return "ignored"
        }
        _ = try await checkouts.setStatus(order: orderID, from: open, to: .paid, paymentID: intent.id, at: now, on: transaction.sql)
        try await transaction.emit(InventoryEvents.orderPaid, aggregate: orderID, json: OrderEvent(
            orderId: orderID, checkoutId: checkout.id, ownerId: checkout.ownerId, amount: checkout.amount, currency: checkout.currency, reason: nil,
            lines: record.lines.map { OrderEvent.Line(sku: $0.line.sku, quantity: $0.line.quantity) }
        ), owner: checkout.ownerId)
        return OrderStatus.paid.rawValue
    }

    /// Takes a line's held units off the shelf.
    private func commit(_ stored: CheckoutStore.StoredLine, of record: CheckoutStore.Record, reason: String, now: Date, in transaction: Transaction) async throws {
        let change = StockStore.Change(
            variantID: stored.variantID, sku: stored.line.sku, locationID: record.locationID, kind: .committed,
            onHand: -stored.line.quantity, reserved: -stored.line.quantity, actor: "system", reason: reason, reference: record.checkout.id
        )
        guard try await stock.apply(change, at: now, on: transaction.sql) != nil else {
            throw InventoryInvariantBroken(detail: "committing \(stored.line.sku) of \(record.checkout.id) would make stock negative")
        }
    }

    /// Takes every line's units straight off the shelf if all are free; else changes nothing
    /// (a savepoint undoes the lines already taken).
    private func reacquire(_ record: CheckoutStore.Record, now: Date, in transaction: Transaction) async throws -> Bool {
        try await transaction.sql.raw("SAVEPOINT inventory_reacquire").run()
        for stored in record.lines {
            let change = StockStore.Change(
                variantID: stored.variantID, sku: stored.line.sku, locationID: record.locationID, kind: .committed,
                onHand: -stored.line.quantity, reserved: 0, actor: "system", reason: "paid after the reservation ended", reference: record.checkout.id
            )
            guard try await stock.apply(change, at: now, on: transaction.sql) != nil else {
                try await transaction.sql.raw("ROLLBACK TO SAVEPOINT inventory_reacquire").run()
                return false
            }
        }
        try await transaction.sql.raw("RELEASE SAVEPOINT inventory_reacquire").run()
        return true
    }

    private func refundNeeded(_ record: CheckoutStore.Record, why reason: String, paymentID: String?, in transaction: Transaction) async throws {
        let checkout = record.checkout
        try await transaction.emit(InventoryEvents.orderRefundNeeded, aggregate: checkout.orderId, json: OrderEvent(
            orderId: checkout.orderId, checkoutId: checkout.id, ownerId: checkout.ownerId, amount: checkout.amount, currency: checkout.currency, reason: reason,
            lines: record.lines.map { OrderEvent.Line(sku: $0.line.sku, quantity: $0.line.quantity) }
        ), owner: checkout.ownerId)
    }

    /// What the order events carry.
    struct OrderEvent: Encodable {
        var orderId: String
        var checkoutId: String
        var ownerId: String
        var amount: Int
        var currency: String
        var reason: String?
        /// What was bought: added after the first release, so consumers must allow its absence.
        var lines: [Line]

        struct Line: Encodable {
            var sku: String
            var quantity: Int
        }
    }
}
