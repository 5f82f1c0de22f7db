public import NIOCore

/// Where files live: the bytes of uploads today, of CMS media, log archives and models later.
/// A directory under the data dir by default (``LocalObjectStore``), an S3-compatible store for
/// a cluster, whose nodes share it and the database but never a disk.
///
/// Bodies are streams of buffers, never whole files in memory. Two ways to write: ``put(_:_:)``
/// stores a whole object at once; an appendable object (``beginAppendable(_:)``) grows chunk by
/// chunk across requests, each ``append(_:at:_:options:observe:checkpoint:)`` durable when it
/// returns, and becomes a readable object when ``complete(_:)`` is called.
public protocol ObjectStore: Sendable {
    /// Stores the bytes of `body` as `key`, replacing any object there; readers see the old
    /// object or the whole new one, never part of it. Returns the size.
    func put<Body: AsyncSequence>(_ key: ObjectKey, _ body: Body) async throws -> Int64 where Body.Element == ByteBuffer

    /// Stores as `key` the concatenation of the objects `parts`, in order, without passing the
    /// bytes through the caller (S3 copies them server-side). Returns the size.
    func compose(_ key: ObjectKey, from parts: [ObjectKey]) async throws -> Int64

    /// Hands the bytes of `key` in `range` (all of it when `nil`) to `consume`, in order.
    /// Throws ``ObjectStoreError/notFound`` for no such object.
    func read(_ key: ObjectKey, range: Range<Int64>?, _ consume: (ByteBuffer) async throws -> Void) async throws

    /// The size of `key`, or `nil` for no such object.
    func size(of key: ObjectKey) async throws -> Int64?

    /// Removes `key`; removing what is not there is not an error.
    func delete(_ key: ObjectKey) async throws

    /// Every object whose key starts with `prefix` (a key, or empty for all), in key order.
    func list(prefix: String) async throws -> [ObjectInfo]

    /// Starts an object that will be written chunk by chunk. The value returned (and each one
    /// ``append(_:at:_:options:observe:checkpoint:)`` returns) is what the caller keeps, in its
    /// database, to go on later, on any node.
    func beginAppendable(_ key: ObjectKey) async throws -> AppendableObject

    /// Writes `body` at `offset`, which must be the length acknowledged so far (bytes past it,
    /// left by a crash before the caller recorded them, are overwritten). When it returns, the
    /// bytes are durable. `observe` sees every buffer in order before it is written.
    ///
    /// If the body fails or exceeds `options.limit`: with `options.keepPartial`, what was
    /// written is made durable and ``AppendInterrupted`` says up to where; without it, the
    /// object is left as it was at `offset` and the error is rethrown. With `keepPartial`,
    /// `checkpoint` is called each time about `options.checkpointBytes` more are durable, so
    /// the caller can record the progress before the chunk ends.
    func append<Body: AsyncSequence>(
        _ object: AppendableObject, at offset: Int64, _ body: Body, options: AppendOptions,
        observe: (ByteBuffer) throws -> Void,
        checkpoint: (AppendableObject, Int64) async throws -> Void
    ) async throws -> AppendableObject where Body.Element == ByteBuffer

    /// Cuts an appendable object back to `length` (a chunk written whole and then refused,
    /// such as one whose checksum did not match). Every store can return `object`, a state the
    /// caller was handed, to its own length; only the local store can cut to any other.
    func truncate(_ object: AppendableObject, to length: Int64) async throws -> AppendableObject

    /// Makes the appendable object the readable object at its key.
    func complete(_ object: AppendableObject) async throws

    /// Drops an appendable object and whatever it wrote.
    func abort(_ object: AppendableObject) async throws
}

/// An object being written chunk by chunk: its key and the store's own state of it (for S3,
/// the multipart upload and its parts), which the caller keeps between chunks.
public struct AppendableObject: Sendable, Equatable {
    public var key: ObjectKey
    /// Opaque to the caller.
    public var state: String

    public init(key: ObjectKey, state: String) {
        self.key = key
        self.state = state
    }
}

/// How one append behaves.
public struct AppendOptions: Sendable {
    /// At most this many bytes may be written; more is ``ObjectStoreError/limitExceeded``.
    public var limit: Int64
    /// Keep what a failed body wrote (a dropped connection) instead of undoing it.
    public var keepPartial: Bool
    /// Roughly how many bytes between checkpoints, when partial writes are kept.
    public var checkpointBytes: Int64

    public init(limit: Int64, keepPartial: Bool, checkpointBytes: Int64 = 16 << 20) {
        self.limit = limit
        self.keepPartial = keepPartial
        self.checkpointBytes = checkpointBytes
    }
}

/// An append whose body failed after some bytes were made durable.
public struct AppendInterrupted: Error {
    /// The object now.
    public var object: AppendableObject
    /// Its durable length.
    public var length: Int64
    /// Why the body stopped.
    public var cause: any Error
}

/// What a stored object is.
public struct ObjectInfo: Sendable, Equatable {
    public var key: ObjectKey
    public var size: Int64
}

/// Failures of an object store, without paths or credentials.
public enum ObjectStoreError: Error, Equatable {
    /// No such object.
    case notFound
    /// The body is longer than the append allowed.
    case limitExceeded
    /// The offset is not the object's current length.
    case offsetMismatch(expected: Int64)
    /// The store failed (a disk error, an S3 error status): `detail` is for the log.
    case storage(String)
}
