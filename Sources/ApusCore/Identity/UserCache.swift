import NIOCore

/// Users by id for hot reads (`GET /v1/auth/me`, ``Platform/users``), through a node-local
/// cache that any change to a user invalidates on every node.
struct CachedUsers: UserDirectory {
    /// A user with its JSON, encoded once: encoding showed as the largest cost of `/me`.
    struct Entry: Sendable {
        let user: User
        let json: ByteBuffer
    }

    let cache: BusInvalidatedCache<String, Entry>
    let store: UserStore

    func entry(id: String) async throws -> Entry? {
        try await cache.value(for: id) {
            guard let user = try await store.find(id: id) else { return nil }
            return Entry(user: user, json: ByteBuffer(bytes: try APIJSON.encoder.encode(user)))
        }
    }

    func user(id: String) async throws -> DirectoryUser? {
        try await entry(id: id).map { entry in
            DirectoryUser(id: entry.user.id, email: entry.user.email, roles: Set(entry.user.roles), disabled: entry.user.disabled)
        }
    }
}
