import ApusKit

/// Node-local copies of users for hot reads (`GET /v1/auth/me`). Any change to a user is
/// announced on the bus, and every node drops its copy; a possibly missed announcement drops all.
actor UserCache {
    private var entries = LRUCache<String, User>(capacity: 10_000)
    private let store: UserStore

    static let channel = "users"

    init(store: UserStore) {
        self.store = store
    }

    func user(id: String) async throws -> User? {
        if let user = entries.get(id) { return user }
        guard let user = try await store.find(id: id) else { return nil }
        entries.put(id, user)
        return user
    }

    func forget(_ id: String) {
        entries.remove(id)
    }

    func follow(_ messages: AsyncStream<ClusterMessage>) async {
        for await message in messages {
            switch message {
            case .message(let id): entries.remove(id)
            case .resynchronize: entries.removeAll()
            }
        }
    }
}
