import Foundation

/// A checkout ready to be written: its ids made, its lines priced and in lock order, so the
/// batch that carries it only decides whether the stock holds it.
struct PendingReservation: Sendable {
    var record: CheckoutStore.Record
    var order: Order
    var idempotencyKey: String?
    /// The lines in lock order (by variant id), with their variants and request positions.
    var lines: [InventoryService.PricedLine]
    /// One movement id per line, in the same order.
    var movementIDs: [String]
    var location: Location

    /// The stock rows this checkout takes and how much of each, in lock order.
    var demand: [(row: ReservationAllocation.Row, quantity: Int)] {
        lines.map { (ReservationAllocation.Row(variantID: $0.variant.id, locationID: location.id), $0.quantity) }
    }
}
