import ApusCore

/// What the chat module reads from the node's settings (`APUS_CHAT_*`).
struct ChatSettings: Sendable {
    /// The longest message, in characters (`APUS_CHAT_MAX_TEXT`).
    var maxText = 4_000
    /// Whether each message is also written to the outbox as `chat.message.created`
    /// (`APUS_CHAT_MESSAGE_EVENTS`, off: chat is chatty, and webhooks rarely want every line).
    var messageEvents = false
    /// The most missed messages a reconnecting socket is sent; past it the subscription acks
    /// `recovered: false` and the client pages history (`APUS_CHAT_RECOVERY_LIMIT`).
    var recoveryLimit = 1_000
    /// Frames a socket may send per second, sustained (`APUS_CHAT_SEND_RATE`), with a burst of
    /// twice as many; past it the frame is answered with an `error`.
    var sendRate = 20
    /// Seconds between two typing notices of one user in one room that are passed on
    /// (`APUS_CHAT_TYPING_INTERVAL`).
    var typingInterval = 2.0
    /// Seconds between presence heartbeats (`APUS_CHAT_PRESENCE_HEARTBEAT`); a node that dies
    /// drops its users from presence within three.
    var presenceHeartbeat = 10.0

    init() {}

    init(_ settings: Settings) throws(ConfigurationError) {
        maxText = try settings.integer("APUS_CHAT_MAX_TEXT", in: 1...100_000, default: maxText)
        messageEvents = try settings.flag("APUS_CHAT_MESSAGE_EVENTS", default: false)
        recoveryLimit = try settings.integer("APUS_CHAT_RECOVERY_LIMIT", in: 1...100_000, default: recoveryLimit)
        sendRate = try settings.integer("APUS_CHAT_SEND_RATE", in: 1...100_000, default: sendRate)
        typingInterval = try settings.seconds("APUS_CHAT_TYPING_INTERVAL", default: typingInterval)
        presenceHeartbeat = try settings.seconds("APUS_CHAT_PRESENCE_HEARTBEAT", default: presenceHeartbeat)
    }
}
