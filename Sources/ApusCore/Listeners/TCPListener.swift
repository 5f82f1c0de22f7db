public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A TCP port a module listens on beside the HTTP server, for a protocol that is not HTTP
/// (syslog's, for one). Each connection is handed to `handle` in a task of its own, with the
/// bytes its peer sends and a writer for answers; the connection closes when `handle` returns.
///
/// A module returns it among its ``ModuleParts/services``. On graceful shutdown it stops
/// accepting and closes its connections' reading sides, so each handler sees its bytes end and
/// finishes what it holds (storing a last batch, say) before the node stops. Connections past
/// `maxConnections` are closed as they arrive.
public struct TCPListener: Service {
    /// One accepted connection.
    public struct Connection: Sendable {
        /// The peer's address, for logs.
        public let peer: String
        /// What the peer sends, as it arrives; ends when the peer closes or the node stops.
        public let inbound: NIOAsyncChannelInboundStream<ByteBuffer>
        /// Bytes back to the peer.
        public let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    }

    /// The listener's name in logs (`syslog`).
    public let name: String
    public let host: String
    /// The port; 0 lets the system choose one, which `onListening` is told.
    public let port: Int
    public let maxConnections: Int
    let logger: Logger
    let onListening: @Sendable (Int) -> Void
    let handle: @Sendable (Connection) async throws -> Void

    public init(
        name: String, host: String, port: Int, maxConnections: Int = 1_000, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in },
        handle: @escaping @Sendable (Connection) async throws -> Void
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
        self.logger = logger
        self.onListening = onListening
        self.handle = handle
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        logger.info("listening", metadata: ["listener": "\(name)", "address": "\(host):\(bound)"])
        onListening(bound)
        let open = OpenChannels()
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { accepted in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in accepted {
                        let channel = connection.channel
                        guard open.insert(channel, limit: maxConnections) else {
                            logger.warning("connection refused: too many open", metadata: ["listener": "\(name)", "limit": "\(maxConnections)"])
                            // Closed through its wrapper, which must see its writer finished.
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        group.addTask {
                            defer { open.remove(channel) }
                            let peer = channel.remoteAddress.map { "\($0)" } ?? "unknown"
                            do {
                                try await connection.executeThenClose { inbound, outbound in
                                    try await handle(Connection(peer: peer, inbound: inbound, outbound: outbound))
                                }
                            } catch {
                                logger.warning("connection ended by an error", metadata: ["listener": "\(name)", "peer": "\(peer)", "error": "\(error)"])
                            }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
            open.shutDown()
        }
    }
}

/// The listener's open connections, so a shutdown can end their reading.
private final class OpenChannels: Sendable {
    private let state = Mutex<(channels: [ObjectIdentifier: any Channel], closed: Bool)>(([:], false))

    /// Records `channel`; `false` when the listener is at its limit or shutting down.
    func insert(_ channel: any Channel, limit: Int) -> Bool {
        state.withLock { state in
            guard !state.closed, state.channels.count < limit else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Ends every connection's reading: handlers see their bytes end and finish.
    func shutDown() {
        let channels = state.withLock { state in
            state.closed = true
            return Array(state.channels.values)
        }
        for channel in channels {
            // A channel that cannot close only its input closes whole.
            channel.close(mode: .input).whenFailure { _ in channel.close(promise: nil) }
        }
    }
}
