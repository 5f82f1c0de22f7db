/// Messages between the nodes of one deployment: cache invalidation, session revocation, key
/// rotation. Delivery is best effort and at most once; a subscriber that may have missed
/// messages (its connection dropped) is told so with ``ClusterMessage/resynchronize``.
public protocol ClusterBus: Sendable {
    /// Sends `payload` on `channel` to every node, this one included.
    func publish(_ channel: String, _ payload: String) async throws
    /// Messages on `channel` from now on, until the task is cancelled.
    func subscribe(_ channel: String) async -> AsyncStream<ClusterMessage>
}

/// What a bus subscriber receives.
public enum ClusterMessage: Sendable, Equatable {
    /// A message someone published.
    case message(String)
    /// Messages may have been lost: drop anything cached from them.
    case resynchronize
}
