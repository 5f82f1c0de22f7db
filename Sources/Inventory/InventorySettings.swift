import ApusCore

/// What the inventory module reads from the node's settings.
struct InventorySettings: Sendable {
    /// How long a checkout holds its stock unpaid (`APUS_INVENTORY_RESERVATION_TTL`, seconds).
    var reservationTTL: Duration = .seconds(900)
    /// How often the expiry job looks for holds that ran out (`APUS_INVENTORY_EXPIRY_INTERVAL`).
    var expiryInterval: Double = 30
    /// How long a PostgreSQL transaction waits for a stock row (`APUS_INVENTORY_LOCK_TIMEOUT`).
    var lockTimeout: Duration = .seconds(2)
    /// Runs of a checkout that met a deadlock, serialization failure or lock timeout
    /// (`APUS_INVENTORY_CONFLICT_ATTEMPTS`), before 503.
    var conflictAttempts = 5
    /// How many checkout batches one node writes at once (`APUS_INVENTORY_CHECKOUT_WRITERS`);
    /// checkouts that arrive meanwhile wait and go together in the next batch.
    var checkoutWriters = 2
    /// The payment provider's webhook signing secret (`APUS_INVENTORY_PAYMENT_SECRET`); without
    /// one, every webhook is refused.
    var paymentSecret: String?
    /// How far a webhook's signed timestamp may be from now (`APUS_INVENTORY_PAYMENT_TOLERANCE`).
    var paymentTolerance: Double = 300

    init(_ settings: Settings) throws(ConfigurationError) {
        reservationTTL = try settings.duration("APUS_INVENTORY_RESERVATION_TTL", default: reservationTTL)
        expiryInterval = try settings.seconds("APUS_INVENTORY_EXPIRY_INTERVAL", default: expiryInterval)
        lockTimeout = try settings.duration("APUS_INVENTORY_LOCK_TIMEOUT", default: lockTimeout)
        conflictAttempts = try settings.integer("APUS_INVENTORY_CONFLICT_ATTEMPTS", in: 1...50, default: conflictAttempts)
        checkoutWriters = try settings.integer("APUS_INVENTORY_CHECKOUT_WRITERS", in: 1...64, default: checkoutWriters)
        paymentSecret = settings.string("APUS_INVENTORY_PAYMENT_SECRET")
        paymentTolerance = try settings.seconds("APUS_INVENTORY_PAYMENT_TOLERANCE", default: paymentTolerance)
    }

    /// The reservation lifetime in seconds.
    var reservationSeconds: Double {
        Double(reservationTTL.components.seconds) + Double(reservationTTL.components.attoseconds) / 1e18
    }
}
