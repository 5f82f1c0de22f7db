import ApusKit
import HTTPTypes
import Synchronization

/// GET responses that carried an `ETag`, kept to revalidate with `If-None-Match`: a 304 then
/// costs the host and the network no body.
final class ETagCache: Sendable {
    /// What a cached response is filed under. The credentials are part of it so that callers
    /// with different identities never share an entry, even if a host's ETags ignore identity.
    struct Key: Hashable, Sendable {
        let url: String
        let credentials: String?

        init(url: String, headers: HTTPFields) {
            self.url = url
            let credentials = [headers[.authorization], headers[.cookie]].compactMap(\.self)
            self.credentials = credentials.isEmpty ? nil : credentials.joined(separator: "\n")
        }
    }

    /// A response kept for revalidation.
    struct Entry: Sendable {
        let etag: String
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
    }

    private let entries: Mutex<LRUCache<Key, Entry>>
    private let maxBodyBytes: Int

    /// Keeps up to `capacity` responses whose bodies are at most `maxBodyBytes`.
    init(capacity: Int, maxBodyBytes: Int) {
        self.entries = Mutex(LRUCache(capacity: capacity))
        self.maxBodyBytes = maxBodyBytes
    }

    /// The kept response for `key`, if any.
    func entry(for key: Key) -> Entry? {
        entries.withLock { $0.get(key) }
    }

    /// Files a fresh 2xx answer to a GET: kept if it has an ETag, a small enough body and no
    /// `no-store`, and any older entry dropped otherwise, since it no longer describes the resource.
    func store(_ key: Key, status: Int, headers: HTTPFields, body: [UInt8]) {
        let noStore = headers[.cacheControl]?.lowercased().contains("no-store") ?? false
        guard let etag = headers[.eTag], body.count <= maxBodyBytes, !noStore else {
            entries.withLock { _ = $0.remove(key) }
            return
        }
        let entry = Entry(etag: etag, status: status, headers: headers, body: body)
        entries.withLock { _ = $0.put(key, entry) }
    }
}
