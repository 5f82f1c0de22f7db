public import Foundation
import SQLKit

/// The transactional outbox in `apus_events`: a module appends its events through the connection
/// of the transaction that makes its change, so both commit or neither does.
public struct EventOutbox: Sendable {
    let database: any Database
    let bus: any ClusterBus
    /// The types that may be written.
    let catalogue: EventCatalogue
    /// The clock an event's `occurred_at` is read from.
    let now: @Sendable () -> Date
    static let wakeChannel = "apus.events"

    @_spi(Platform) public init(
        database: any Database, bus: any ClusterBus, catalogue: EventCatalogue? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.catalogue = catalogue ?? EventCatalogue()
        self.database = database
        self.bus = bus
        self.now = now
    }

    /// Appends `events` through `connection`, inside the caller's transaction.
    func append(_ events: [NewEvent], on connection: any SQLDatabase) async throws {
        let now = now().epochMilliseconds
        for event in events {
            guard catalogue.permits(event.type) else { throw UndeclaredEvent(type: event.type) }
            try await connection.raw("""
                INSERT INTO apus_events (type, aggregate, payload, occurred_at, owner_id)
                VALUES (\(bind: event.type), \(bind: event.aggregate), \(bind: event.payload), \(bind: now), \(bind: event.owner))
                """).run()
        }
    }

    /// Tells the dispatchers that events were committed, so they deliver without waiting for
    /// their next poll. Best effort.
    func announce() async {
        try? await bus.publish(Self.wakeChannel, "")
    }
}
