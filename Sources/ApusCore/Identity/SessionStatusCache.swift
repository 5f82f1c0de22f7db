import ApusKit
import Synchronization

/// Node-local memory of which sessions are live, so checking an access token costs no database
/// round trip. Revocations reach every node over the bus and overwrite entries here; if the bus
/// may have dropped messages, everything is forgotten and re-read. (A mutex for the same reason
/// as ``RateLimiter``: it sits on every authenticated request.)
final class SessionStatusCache: Sendable {
    private let entries: Mutex<LRUCache<String, Bool>>
    private let store: SessionStore

    static let channel = "sessions"

    init(store: SessionStore, capacity: Int = 100_000) {
        self.store = store
        self.entries = Mutex(LRUCache(capacity: capacity))
    }

    func isActive(_ sessionID: String) async throws -> Bool {
        if let known = entries.withLock({ $0.get(sessionID) }) { return known }
        let active = try await store.isActive(sessionID: sessionID)
        // A revocation that arrived while reading wins over what was read.
        return entries.withLock { entries in
            if let revokedMeanwhile = entries.peek(sessionID) { return revokedMeanwhile }
            entries.put(sessionID, active)
            return active
        }
    }

    /// Marks sessions revoked on this node.
    func revoked(_ sessionIDs: some Sequence<String>) {
        entries.withLock { entries in
            for id in sessionIDs { entries.put(id, false) }
        }
    }

    /// Applies bus messages until cancelled: a message is a comma-separated list of session ids.
    func follow(_ messages: AsyncStream<ClusterMessage>) async {
        for await message in messages {
            switch message {
            case .message(let payload): revoked(payload.split(separator: ",").map(String.init))
            case .resynchronize: entries.withLock { $0.removeAll() }
            }
        }
    }
}
