import Foundation
public import HTTPTypes
import Logging
import Synchronization
public import WSClient

/// A WebSocket client for tests (swift-websocket's, as a user's Swift client would be): text
/// frames in and out, and the close frame the server sent.
public final class TestSocket {
    private let outbound: WebSocketOutboundWriter
    private var frames: AsyncThrowingStream<String, any Error>.AsyncIterator

    init(outbound: WebSocketOutboundWriter, frames: AsyncThrowingStream<String, any Error>) {
        self.outbound = outbound
        self.frames = frames.makeAsyncIterator()
    }

    /// Connects to `path` on `port`, runs `body` with the socket, and returns how the server
    /// closed it (`nil` when the client closed first).
    @discardableResult
    public static func connect(
        port: Int, path: String, headers: HTTPFields = [:], maxFrameSize: Int = 1 << 20,
        _ body: @escaping @Sendable (TestSocket) async throws -> Void
    ) async throws -> WebSocketCloseFrame? {
        let logger = Logger(label: "test-socket")
        return try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)\(path)",
            configuration: .init(maxFrameSize: maxFrameSize, additionalHeaders: headers, closeTimeout: .seconds(2)),
            logger: logger
        ) { inbound, outbound, _ in
            let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await message in inbound.messages(maxSize: maxFrameSize) {
                            if case .text(let text) = message { continuation.yield(text) }
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                try await body(TestSocket(outbound: outbound, frames: stream))
                group.cancelAll()
            }
        }
    }

    /// Sends a text frame.
    public func send(_ text: String) async throws {
        try await outbound.write(.text(text))
    }

    /// Sends `object` as a JSON text frame.
    public func send(json object: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try await send(String(decoding: data, as: UTF8.self))
    }

    /// The next text frame; `nil` once the server closed the socket. Throws after `timeout`.
    public func next(timeout: Duration = .seconds(10)) async throws -> String? {
        let outbound = self.outbound
        let deadline = Task {
            try await Task.sleep(for: timeout)
            try await outbound.close(.normalClosure, reason: "test timed out")
        }
        defer { deadline.cancel() }
        return try await frames.next()
    }

    /// The next text frame as a JSON object.
    public func nextJSON(timeout: Duration = .seconds(10)) async throws -> [String: Any]? {
        guard let text = try await next(timeout: timeout) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// Frames until the server closes the socket.
    public func drain() async throws -> [String] {
        var all: [String] = []
        while let frame = try await next() { all.append(frame) }
        return all
    }
}
