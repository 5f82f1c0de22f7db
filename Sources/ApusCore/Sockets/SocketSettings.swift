/// How a node serves WebSocket routes (`APUS_SOCKET_*`), whichever module owns them.
public struct SocketSettings: Sendable, Equatable {
    /// Seconds a socket has to send its `auth` frame before it is closed with 4401
    /// (`APUS_SOCKET_AUTH_TIMEOUT`).
    public var authTimeout = 5.0
    /// Sockets one user may hold open on one node (`APUS_SOCKETS_PER_USER`); the next is closed
    /// with 4429.
    public var perUser = 32
    /// The largest message a client may send, in bytes (`APUS_SOCKET_MAX_MESSAGE_BYTES`); a larger
    /// one closes the socket with 1009.
    public var maxMessageBytes = 65_536
    /// Frames waiting to be written to one socket (`APUS_SOCKET_QUEUE`): a client that does not
    /// read falls this far behind and is closed with 1008 instead of growing the server's memory.
    public var queueLimit = 1_024
    /// Seconds between the server's pings (`APUS_SOCKET_PING_INTERVAL`); a peer that does not
    /// answer one by the next is closed.
    public var pingInterval = 30.0

    public init() {}

    /// Reads the `APUS_SOCKET*` variables of `environment` over the defaults.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        func number(_ name: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
            guard let raw = environment[name], !raw.isEmpty else { return nil }
            guard let value = Double(raw), range.contains(value) else {
                throw .invalid(name, "'\(raw)' is not a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        if let value = try number("APUS_SOCKET_AUTH_TIMEOUT", 0.01...300) { authTimeout = value }
        if let value = try number("APUS_SOCKETS_PER_USER", 1...100_000) { perUser = Int(value) }
        if let value = try number("APUS_SOCKET_MAX_MESSAGE_BYTES", 128...16_777_216) { maxMessageBytes = Int(value) }
        if let value = try number("APUS_SOCKET_QUEUE", 1...1_000_000) { queueLimit = Int(value) }
        if let value = try number("APUS_SOCKET_PING_INTERVAL", 1...3_600) { pingInterval = value }
    }
}
