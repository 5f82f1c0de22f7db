import ApusCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

/// A module's own TCP port, without any module: connections are served side by side, the limit
/// turns away the one too many, and a graceful shutdown lets each handler finish what it holds.
@Suite struct TCPListenerTests {
    typealias Client = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(_ port: Int) async throws -> Client {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try Client(wrappingChannelSynchronously: channel) }
            }
    }

    /// Everything the client reads until the server closes.
    static func readAll(_ client: Client) async throws -> String {
        try await client.executeThenClose { inbound, _ in
            var text = ""
            for try await buffer in inbound { text += String(buffer: buffer) }
            return text
        }
    }

    /// Runs `listener` in a service group while `body` runs, then shuts it down gracefully.
    static func running(_ listener: (@escaping @Sendable (Int) -> Void) -> TCPListener, _ body: (Int, ServiceGroup) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(configuration: .init(services: [listener { continuation.yield($0) }], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(port > 0)
            try await body(port, group)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func eachConnectionIsServedInATaskOfItsOwn() async throws {
        try await Self.running({ listening in
            TCPListener(name: "echo", host: "127.0.0.1", port: 0, logger: Logger(label: "test"), onListening: listening) { connection in
                for try await buffer in connection.inbound {
                    try await connection.outbound.write(ByteBuffer(string: String(buffer: buffer).uppercased()))
                }
            }
        }) { port, _ in
            let first = try await Self.connect(port)
            let second = try await Self.connect(port)
            // The second is answered while the first is still open and silent.
            try await second.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "two"))
                var iterator = inbound.makeAsyncIterator()
                #expect(try await iterator.next().map { String(buffer: $0) } == "TWO")
            }
            try await first.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "one"))
                var iterator = inbound.makeAsyncIterator()
                #expect(try await iterator.next().map { String(buffer: $0) } == "ONE")
            }
        }
    }

    @Test func aConnectionPastTheLimitIsClosedAsItArrives() async throws {
        try await Self.running({ listening in
            TCPListener(name: "one", host: "127.0.0.1", port: 0, maxConnections: 1, logger: Logger(label: "test"), onListening: listening) { connection in
                try await connection.outbound.write(ByteBuffer(string: "hello"))
                for try await _ in connection.inbound {}
            }
        }) { port, _ in
            let first = try await Self.connect(port)
            try await first.executeThenClose { inbound, _ in
                var iterator = inbound.makeAsyncIterator()
                let greeting = try await iterator.next().map { String(buffer: $0) }
                #expect(greeting == "hello")
                // Refused while the first is open: closed without a word.
                let second = try await Self.connect(port)
                let refused = try await Self.readAll(second)
                #expect(refused == "")
            }
        }
    }

    @Test func aShutdownEndsTheReadingAndLetsHandlersFinish() async throws {
        let finished = Mutex<[String]>([])
        let (received, receivedSome) = AsyncStream.makeStream(of: Void.self)
        try await Self.running({ listening in
            TCPListener(name: "collect", host: "127.0.0.1", port: 0, logger: Logger(label: "test"), onListening: listening) { connection in
                var text = ""
                for try await buffer in connection.inbound {
                    text += String(buffer: buffer)
                    receivedSome.yield()
                }
                // The bytes ended: the handler still runs, and may still answer.
                finished.withLock { $0.append(text) }
                try await connection.outbound.write(ByteBuffer(string: "kept \(text.count)"))
            }
        }) { port, group in
            let client = try await Self.connect(port)
            try await client.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "a whole batch"))
                var signals = received.makeAsyncIterator()
                await signals.next()
                await group.triggerGracefulShutdown()
                var answer = ""
                for try await buffer in inbound { answer += String(buffer: buffer) }
                #expect(answer == "kept 13")
            }
        }
        #expect(finished.withLock { $0 } == ["a whole batch"])
    }
}
