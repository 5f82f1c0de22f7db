import NIOCore

/// A body that yields `chunks`, then fails if `failure` is set (a dropped connection).
struct ChunkedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [[UInt8]]
    var failure: (any Error & Sendable)?

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: [[UInt8]]
        let failure: (any Error & Sendable)?

        mutating func next() async throws -> ByteBuffer? {
            if remaining.isEmpty {
                if let failure { throw failure }
                return nil
            }
            return ByteBuffer(bytes: remaining.removeFirst())
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks, failure: failure) }
}

/// The failure a `ChunkedBody` ends with in tests: a client that went away mid-body.
struct ConnectionDropped: Error {}
