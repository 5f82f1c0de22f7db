import ApusCore
import Foundation

extension InventoryService {
    /// Writes a batch of checkouts in one transaction and answers each: its checkout, or the
    /// 409 naming its short lines. A failure that is no one checkout's fault but may be one's
    /// (an Idempotency-Key that raced) sends every checkout through again alone, so it cannot
    /// fail the others; a conflict that outlasted the retries fails them all (503).
    func write(_ batch: [PendingReservation]) async -> [Result<Checkout, any Error>] {
        do {
            return try await writeTogether(batch)
        } catch where batch.count > 1 && !(error is ConflictRetriesExhausted) {
            var results: [Result<Checkout, any Error>] = []
            for pending in batch { results += await write([pending]) }
            return results
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }

    /// Every checkout that fully refuses rolls the transaction back: nothing of it is kept.
    private struct EveryCheckoutRefused: Error {
        var results: [Result<Checkout, any Error>]
    }

    /// One transaction: the batch's rows are written, then its stock rows locked in the global
    /// order and shared out in arrival order (each checkout all or nothing), the refused
    /// checkouts' rows deleted, and the stock updated last, right before the commit.
    private func writeTogether(_ batch: [PendingReservation]) async throws -> [Result<Checkout, any Error>] {
        try await retry.run(onRetry: { [metrics] in metrics.conflictRetried() }) { [self] in
            do {
                return try await platform.transaction { transaction in
                    try await transaction.setLockTimeout(settings.lockTimeout)
                    try await reservations.insert(batch, on: transaction.sql)
                    let rows = Set(batch.flatMap { $0.demand.map(\.row) })
                    let locked = try await reservations.lock(Array(rows), on: transaction.sql)
                    var allocation = ReservationAllocation(available: locked.available)
                    // A checkout priced from a cache that has not yet heard of a committed change
                    // takes nothing; it is priced again from the database.
                    let results = batch.map { pending -> Result<Checkout, any Error> in
                        let stale = Self.staleSKUs(pending, committed: locked.terms)
                        guard stale.isEmpty else { return .failure(StaleSaleTerms(skus: stale)) }
                        let short = allocation.take(pending.demand)
                        return short.isEmpty ? .success(pending.record.checkout) : .failure(Self.insufficient(pending, short))
                    }
                    let refused = zip(batch, results).compactMap { pending, result -> PendingReservation? in
                        if case .success = result { return nil }
                        return pending
                    }
                    guard refused.count < batch.count else { throw EveryCheckoutRefused(results: results) }
                    try await reservations.discard(refused, on: transaction.sql)
                    let free = try await reservations.reserve(allocation.taken, on: transaction.sql)
                    try await noteDecreases(batch, taken: allocation.taken, free: free, in: transaction)
                    return results
                }
            } catch let refused as EveryCheckoutRefused {
                return refused.results
            }
        }
    }

    /// The SKUs of `pending` whose price, currency or being for sale differ from what is
    /// committed (a variant without a stock row here is left to the shortfall).
    private static func staleSKUs(_ pending: PendingReservation, committed: [String: ReservationStore.SaleTerms]) -> [String] {
        pending.lines.compactMap { line in
            guard let terms = committed[line.variant.id] else { return nil }
            let priced = ReservationStore.SaleTerms(price: line.variant.price, currency: line.variant.currency, published: true)
            return terms == priced ? nil : line.variant.sku
        }
    }

    /// The 409 of a checkout whose lines fell short, naming each (in request order) with what
    /// was available.
    private static func insufficient(_ pending: PendingReservation, _ short: [ReservationAllocation.Shortfall]) -> Problem {
        let lines = short.map { (line: pending.lines[$0.line], available: $0.available) }.sorted { $0.line.index < $1.line.index }
        let errors = lines.map { Problem.FieldError(field: "lines[\($0.line.index)].quantity", message: "\($0.available) available") }
        let detail = lines.map { "\($0.line.variant.sku): \($0.line.quantity) asked, \($0.available) available" }.joined(separator: "; ")
        return Problem(.conflict, detail: "Not enough stock at \(pending.location.code): \(detail).", type: InventoryModule.insufficientStock, errors: errors)
    }

    /// Low-stock events and stock-outs for the variants the batch took. A row still holding at
    /// least the threshold (and one unit) proves its variant crossed neither, which spares the
    /// sum over locations in the common case.
    private func noteDecreases(
        _ batch: [PendingReservation], taken: [ReservationAllocation.Row: Int], free: [ReservationAllocation.Row: Int], in transaction: Transaction
    ) async throws {
        var variants: [String: Variant] = [:]
        for line in batch.flatMap(\.lines) { variants[line.variant.id] = line.variant }
        var amounts: [String: Int] = [:]
        for (row, quantity) in taken where (free[row] ?? 0) < max(variants[row.variantID]?.lowStockThreshold ?? 0, 1) {
            amounts[row.variantID, default: 0] += quantity
        }
        for (id, amount) in amounts.sorted(by: { $0.key < $1.key }) {
            guard let variant = variants[id] else { continue }
            try await noteDecrease(of: variant, by: amount, in: transaction)
        }
    }
}

/// A checkout was priced from sale terms that a committed change has since replaced.
struct StaleSaleTerms: Error {
    var skus: [String]
}
