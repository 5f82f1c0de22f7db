import ApusKit

/// Node-local memory of which sessions are live, so checking an access token costs no database
/// round trip. Revocations reach every node over the bus and overwrite entries here; if the bus
/// may have dropped messages, everything is forgotten and re-read.
actor SessionStatusCache {
    private var entries: LRUCache<String, Bool>
    private let store: SessionStore

    static let channel = "sessions"

    init(store: SessionStore, capacity: Int = 100_000) {
        self.store = store
        self.entries = LRUCache(capacity: capacity)
    }

    func isActive(_ sessionID: String) async throws -> Bool {
        if let known = entries.get(sessionID) { return known }
        let active = try await store.isActive(sessionID: sessionID)
        // A revocation that arrived while reading wins over what was read.
        if entries.peek(sessionID) == nil { entries.put(sessionID, active) }
        return entries.peek(sessionID) ?? active
    }

    /// Marks sessions revoked on this node.
    func revoked(_ sessionIDs: some Sequence<String>) {
        for id in sessionIDs { entries.put(id, false) }
    }

    /// Forgets everything (messages may have been missed).
    func forgetAll() {
        entries.removeAll()
    }

    /// Applies bus messages until cancelled: a message is a comma-separated list of session ids.
    func follow(_ messages: AsyncStream<ClusterMessage>) async {
        for await message in messages {
            switch message {
            case .message(let payload): revoked(payload.split(separator: ",").map(String.init))
            case .resynchronize: forgetAll()
            }
        }
    }
}
