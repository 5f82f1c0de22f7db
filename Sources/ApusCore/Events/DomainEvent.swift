public import Foundation
import SQLKit

/// An event a module writes with its change: `link.created`, `user.registered`, ...
public struct NewEvent: Sendable {
    /// Dotted type, the first part naming the module: `links.link.created`.
    public var type: String
    /// What it is about (an id); events of one aggregate are delivered in the order written.
    public var aggregate: String
    /// JSON text.
    public var payload: String
    /// The user whose data it carries (a link's owner), if any. Subscribers that act for one
    /// user, such as a webhook endpoint of someone who is not an admin, get only that user's
    /// events; an event without an owner goes to admins' subscriptions only.
    public var owner: String?

    public init(type: String, aggregate: String, payload: String, owner: String? = nil) {
        self.type = type
        self.aggregate = aggregate
        self.payload = payload
        self.owner = owner
    }

    /// An event whose payload is `value` encoded as JSON by the API's encoder (snake_case keys,
    /// a `Date` as RFC 3339), so a webhook body reads like the API's.
    public init(type: String, aggregate: String, json value: some Encodable, owner: String? = nil) throws {
        self.init(type: type, aggregate: aggregate, payload: String(decoding: try APIJSON.encoder.encode(value), as: UTF8.self), owner: owner)
    }
}

/// An event as consumers receive it.
public struct DomainEvent: Sendable, Equatable {
    /// Its id, unique and increasing in the order of writing within a transaction.
    public let id: Int64
    public let type: String
    public let aggregate: String
    /// JSON text.
    public let payload: String
    /// When it was written.
    public let occurredAt: Date
    /// The user whose data it carries (see ``NewEvent/owner``).
    public var owner: String? = nil
}

/// Takes part in delivering the outbox to one consumer: its name (where its position and
/// receipts are kept), the types it wants, and what it does with each event.
public struct EventConsumer: Sendable {
    /// Unique per consumer, such as `notifications.webhooks`.
    public let name: String
    /// Type prefixes it wants (`links.` or `links.link.created`); empty means every event.
    public let typePrefixes: [String]
    /// Handles one event inside the transaction that records it as processed, so effects written
    /// through `transaction` (rows, events, enqueued jobs) happen exactly once. Cache
    /// invalidations it asks for are carried out after the commit (possibly also after a rollback:
    /// an extra invalidation is harmless). Throwing retries the event; one that keeps failing is
    /// dead-lettered as a replayable job (see ``EventDispatcher``).
    public let handle: @Sendable (_ event: DomainEvent, _ transaction: Transaction) async throws -> Void

    /// Where a new consumer begins: at the head of the outbox (only what is written from then
    /// on), or at its start (every event still kept).
    public enum Start: Sendable {
        case head
        case history
    }

    /// Where it begins the first time it runs.
    public let start: Start

    public init(
        name: String, typePrefixes: [String] = [], start: Start = .head,
        handle: @escaping @Sendable (DomainEvent, Transaction) async throws -> Void
    ) {
        self.start = start
        self.name = name
        self.typePrefixes = typePrefixes
        self.handle = handle
    }

    func wants(_ type: String) -> Bool {
        typePrefixes.isEmpty || typePrefixes.contains { type.hasPrefix($0) }
    }
}
