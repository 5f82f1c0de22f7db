import ApusKit
import NIOCore
import Synchronization

/// Node-local copies of users for hot reads (`GET /v1/auth/me`). Any change to a user is
/// announced on the bus, and every node drops its copy; a possibly missed announcement drops all.
final class UserCache: Sendable {
    /// A user with its JSON, encoded once: encoding showed as the largest cost of `/me`.
    struct Entry: Sendable {
        let user: User
        let json: ByteBuffer
    }

    private let entries = Mutex(LRUCache<String, Entry>(capacity: 10_000))
    private let store: UserStore

    static let channel = "users"

    init(store: UserStore) {
        self.store = store
    }

    func user(id: String) async throws -> Entry? {
        if let entry = entries.withLock({ $0.get(id) }) { return entry }
        guard let user = try await store.find(id: id) else { return nil }
        let entry = Entry(user: user, json: ByteBuffer(bytes: try APIJSON.encoder.encode(user)))
        entries.withLock { _ = $0.put(id, entry) }
        return entry
    }

    func forget(_ id: String) {
        entries.withLock { _ = $0.remove(id) }
    }

    func follow(_ messages: AsyncStream<ClusterMessage>) async {
        for await message in messages {
            switch message {
            case .message(let id): forget(id)
            case .resynchronize: entries.withLock { $0.removeAll() }
            }
        }
    }
}
