/// Messages between the nodes of one deployment: cache invalidation, session revocation, key
/// rotation. Delivery is best effort and at most once; a subscriber that may have missed
/// messages (its connection dropped, or it fell more than ``BusSubscribers/bufferSize``
/// messages behind) is told so with ``ClusterMessage/resynchronize``.
public protocol ClusterBus: Sendable {
    /// Sends `payload` on `channel` to every node, this one included.
    func publish(_ channel: String, _ payload: String) async throws
    /// Messages on `channel` from now on, until the task is cancelled.
    func subscribe(_ channel: String) async -> AsyncStream<ClusterMessage>
}

/// The largest payload one bus message may carry, in UTF-8 bytes: PostgreSQL's `NOTIFY`
/// takes fewer than 8,000, and the single-node bus keeps to the same limit so a module that
/// works on one node works on many.
public let clusterBusMaximumPayloadBytes = 7_999

/// A payload past ``clusterBusMaximumPayloadBytes``, refused when it is published.
public struct BusPayloadTooLarge: Error, Sendable, CustomStringConvertible {
    public var channel: String
    public var bytes: Int
    public var description: String {
        "a bus message on \(channel) of \(bytes) bytes is larger than the \(clusterBusMaximumPayloadBytes) a bus carries"
    }

    /// Throws when `payload` is too large to publish on `channel`.
    static func check(_ payload: String, on channel: String) throws(BusPayloadTooLarge) {
        let bytes = payload.utf8.count
        guard bytes <= clusterBusMaximumPayloadBytes else { throw BusPayloadTooLarge(channel: channel, bytes: bytes) }
    }
}

/// What a bus subscriber receives.
public enum ClusterMessage: Sendable, Equatable {
    /// A message someone published.
    case message(String)
    /// Messages may have been lost: drop anything cached from them.
    case resynchronize
}
