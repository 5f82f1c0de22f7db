import ApusCore
import Foundation

/// What becomes of a buyer's holds when Identity deletes the buyer: their reserved checkouts
/// give the stock back and their unpaid orders are cancelled at once, instead of holding units
/// until they expire. Paid orders stay: they are the shop's records of a sale.
enum InventoryOwnerEvents {
    static func consumer(service: InventoryService) -> EventConsumer {
        EventConsumer(name: "inventory.owners", typePrefixes: [IdentityEvents.userDeleted]) { event, transaction in
            guard let change = IdentityEvents.UserChange.decode(event) else { return }
            try await service.releaseHolds(of: change.userId, in: transaction)
        }
    }
}

extension InventoryService {
    /// Releases every reserved checkout of `owner` inside `transaction`.
    func releaseHolds(of owner: String, in transaction: Transaction) async throws {
        let now = platform.now()
        let ids = try await transaction.sql.raw("""
            SELECT id FROM inventory_checkouts WHERE owner_id = \(bind: owner) AND status = 'reserved' ORDER BY id
            """).all().map { try $0.decode(column: "id", as: String.self) }
        for id in ids {
            guard let record = try await checkouts.checkout(id: id, on: transaction.sql),
                try await checkouts.transition(id, from: .reserved, to: .released, at: now, on: transaction.sql)
            else { continue }
            try await release(record, reason: "buyer deleted", actor: "system", now: now, in: transaction)
            _ = try await checkouts.setStatus(order: record.checkout.orderId, from: [.pendingPayment], to: .canceled, at: now, on: transaction.sql)
        }
    }
}
