import Foundation
import Logging
import NIOCore
package import Prometheus
import ServiceLifecycle
import Synchronization

/// The sockets open on this node, whatever route they came in by: counts them per user, and
/// closes those whose credentials are revoked on any node (a logout, a disabled or deleted user,
/// a deleted API key), which the platform publishes on ``channel``.
package final class OpenSockets: Sendable {
    /// The bus channel on which revocations reach every node.
    package static let channel = "apus.revocations"

    private struct State {
        var sockets: [Int: Socket] = [:]
        var perUser: [String: Int] = [:]
        /// The user each admitted socket counts against.
        var admitted: [Int: String] = [:]
        var nextID = 1
    }

    private let state = Mutex(State())
    package let settings: SocketSettings
    private let authenticator: @Sendable (String) async -> Principal?
    private let stillValid: @Sendable (Principal) async -> Bool
    private let open: Prometheus.Gauge
    private let slowConsumers: Prometheus.Counter
    private let revoked: Prometheus.Counter

    package init(
        settings: SocketSettings, metrics: PrometheusCollectorRegistry, authenticator: @escaping @Sendable (String) async -> Principal?,
        stillValid: @escaping @Sendable (Principal) async -> Bool
    ) {
        self.settings = settings
        self.authenticator = authenticator
        self.stillValid = stillValid
        self.open = metrics.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "apus", subsystem: "sockets", metricName: "open", unitName: "", helpText: "WebSockets open on this node."
        ))
        self.slowConsumers = metrics.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "apus", subsystem: "sockets", metricName: "slow_consumer_disconnects", unitName: "total",
            helpText: "Sockets closed with 1008 because the client did not read its messages."
        ))
        self.revoked = metrics.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "apus", subsystem: "sockets", metricName: "revoked", unitName: "total",
            helpText: "Sockets closed with 4403 because their session, user or key was revoked."
        ))
    }

    /// A new socket, counted as open until ``remove(_:)``.
    func makeSocket(route: String, upgrade: SocketUpgrade, channel: any Channel, logger: Logger) -> Socket {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let socket = Socket(
            id: id, route: route, upgrade: upgrade, principal: nil, channel: channel, queueLimit: settings.queueLimit, logger: logger, sockets: self
        )
        let count = state.withLock { state in
            state.sockets[id] = socket
            return state.sockets.count
        }
        open.set(Double(count))
        return socket
    }

    func remove(_ socket: Socket) {
        let count = state.withLock { state in
            state.sockets[socket.id] = nil
            if let user = state.admitted.removeValue(forKey: socket.id) {
                state.perUser[user, default: 1] -= 1
                if state.perUser[user] == 0 { state.perUser[user] = nil }
            }
            return state.sockets.count
        }
        open.set(Double(count))
    }

    /// Counts `socket` against `principal`'s user; `false` when the user holds the most sockets
    /// a user may.
    func admit(_ socket: Socket, as principal: Principal) -> Bool {
        state.withLock { state in
            if let previous = state.admitted[socket.id] {
                guard previous != principal.userID else { return true }
                state.perUser[previous, default: 1] -= 1
                if state.perUser[previous] == 0 { state.perUser[previous] = nil }
                state.admitted[socket.id] = nil
            }
            guard state.perUser[principal.userID, default: 0] < settings.perUser else { return false }
            state.perUser[principal.userID, default: 0] += 1
            state.admitted[socket.id] = principal.userID
            return true
        }
    }

    /// The caller `token` stands for, if it is valid now.
    func authenticate(_ token: String) async -> Principal? {
        await authenticator(token)
    }

    func countSlowConsumer() { slowConsumers.increment() }

    /// Closes with 4403 every socket `revocation` covers.
    func apply(_ revocation: SocketRevocation) {
        let matching = state.withLock { state in state.sockets.values.filter { socket in socket.principal.map(revocation.covers) ?? false } }
        for socket in matching {
            revoked.increment()
            socket.close(Socket.CloseCode.forbidden, reason: "the credentials were revoked")
        }
    }

    /// Closes every open socket with `code`.
    func closeAll(_ code: UInt16, reason: String) {
        for socket in state.withLock({ Array($0.sockets.values) }) { socket.close(code, reason: reason) }
    }

    /// Checks every open socket's credentials again, closing with 4403 those that no longer
    /// hold: run when revocations may have been lost on the bus.
    func recheck() async {
        for socket in state.withLock({ Array($0.sockets.values) }) {
            guard let principal = socket.principal, await !stillValid(principal) else { continue }
            revoked.increment()
            socket.close(Socket.CloseCode.forbidden, reason: "the credentials were revoked")
        }
    }

    /// Sockets open now (tests and metrics).
    package var count: Int { state.withLock { $0.sockets.count } }

    /// Applies the revocations published on any node, until cancelled.
    package struct Follower: Service {
        let sockets: OpenSockets
        let bus: any ClusterBus

        package init(sockets: OpenSockets, bus: any ClusterBus) {
            self.sockets = sockets
            self.bus = bus
        }

        package func run() async throws {
            for await message in await bus.subscribe(OpenSockets.channel).cancelOnGracefulShutdown() {
                switch message {
                case .message(let text):
                    if let revocation = SocketRevocation.decode(text) { sockets.apply(revocation) }
                case .resynchronize:
                    // A lost message could have been a revocation: ask the database instead.
                    await sockets.recheck()
                }
            }
        }
    }
}

/// Credentials that stopped being valid: sessions, a user, or an API key.
package struct SocketRevocation: Codable, Sendable, Equatable {
    package var sessions: [String]?
    package var user: String?
    package var key: String?

    package init(sessions: [String]? = nil, user: String? = nil, key: String? = nil) {
        self.sessions = sessions
        self.user = user
        self.key = key
    }

    func covers(_ principal: Principal) -> Bool {
        if let user, principal.userID == user { return true }
        if let key, principal.apiKeyID == key { return true }
        if let sessions, let session = principal.sessionID, sessions.contains(session) { return true }
        return false
    }

    /// The JSON published on the bus.
    package var encoded: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decode(_ text: String) -> SocketRevocation? {
        try? JSONDecoder().decode(SocketRevocation.self, from: Data(text.utf8))
    }
}
