import HTTPTypes
import Logging
import NIOCore
import WSClient

/// What a sending socket is told to do: `count` messages at `rate` a second from `start`.
struct SendCommand: Sendable {
    var step: UInt16
    var start: UInt64
    var rate: Double
    var count: Int
}

/// One client socket of a run: it connects, authenticates, subscribes to its room, records the
/// messages it receives, and, if it is a sender, sends what it is told to.
struct LoadSocket: Sendable {
    let index: Int
    let url: String
    let wire: Wire
    let token: String
    let room: String
    /// Whether the socket subscribes to its room; one that does not only proves it is signed in.
    let subscribes: Bool
    let tally: Tally
    /// Commands for a sender; `nil` for a socket that only listens.
    let commands: AsyncStream<SendCommand>?

    static let logger: Logger = {
        var logger = Logger(label: "chat-load")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs until the server closes the socket or the task is cancelled.
    func run(subscribed: @escaping @Sendable () -> Void) async {
        var headers: HTTPFields = [:]
        if wire == .native { headers[.secWebSocketProtocol] = "apus, bearer.\(token)" }
        let path = wire == .native ? "/v1/chat/socket" : "/socket.io/?EIO=4&transport=websocket"
        do {
            let close = try await WebSocketClient.connect(
                url: url + path, configuration: .init(maxFrameSize: 1 << 16, additionalHeaders: headers, closeTimeout: .seconds(1)),
                logger: Self.logger
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await receive(inbound, outbound, subscribed: subscribed) }
                    if let commands {
                        group.addTask { try await send(commands, outbound) }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            tally.closed(close.map { "\($0.closeCode)" } ?? "closed")
        } catch is CancellationError {
        } catch {
            tally.closed("\(error)")
        }
    }

    private func receive(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, subscribed: @Sendable () -> Void) async throws {
        switch wire {
        case .native where subscribes:
            try await outbound.write(.text(#"{"type":"subscribe","room":"\#(room)","ref":"s"}"#))
        case .native:
            try await outbound.write(.text(#"{"type":"ping","ref":"s"}"#))
        case .socketio:
            break
        }
        for try await frame in inbound {
            guard frame.opcode == .text else { continue }
            let data = frame.data
            if let delivery = Self.delivery(in: data, wire: wire) {
                tally.record(delivery, socket: index)
                continue
            }
            if commands != nil, let ack = Self.delivery(in: data, wire: wire, ack: true) {
                tally.acknowledged(ack)
                continue
            }
            switch wire {
            case .native:
                let text = String(buffer: data)
                if text.hasSuffix(#""type":"error"}"#) {
                    tally.errors.add(1, ordering: .relaxed)
                } else if text.hasSuffix(#""type":"ack"}"#) || text.hasSuffix(#""type":"pong"}"#), text.contains(#""ref":"s""#) {
                    subscribed()
                }
            case .socketio:
                let text = String(buffer: data)
                if text.hasPrefix("0{") {
                    try await outbound.write(.text(#"40{"token":"\#(token)"}"#))
                } else if text.hasPrefix("40"), !subscribes {
                    subscribed()
                } else if text.hasPrefix("40") {
                    try await outbound.write(.text(#"420["subscribe",{"room":"\#(room)"}]"#))
                } else if text.hasPrefix("430") {
                    subscribed()
                } else if text == "2" {
                    try await outbound.write(.text("3"))
                } else if text.hasPrefix("44") || text.hasPrefix(#"42["error""#) {
                    tally.errors.add(1, ordering: .relaxed)
                }
            }
        }
    }

    private func send(_ commands: AsyncStream<SendCommand>, _ outbound: WebSocketOutboundWriter) async throws {
        for await command in commands {
            let interval = 1e9 / command.rate
            for number in 0..<command.count {
                let due = command.start + UInt64(Double(number) * interval)
                let now = monotonicNanoseconds()
                if due > now { try await Task.sleep(nanoseconds: due - now) }
                let text = "b\(command.step):\(monotonicNanoseconds())"
                switch wire {
                case .native: try await outbound.write(.text(#"{"type":"send","room":"\#(room)","text":"\#(text)"}"#))
                case .socketio: try await outbound.write(.text(#"42["send",{"room":"\#(room)","text":"\#(text)"}]"#))
                }
                tally.sent.add(1, ordering: .relaxed)
            }
        }
    }

    /// The delivery a frame reports, if it is a message sent by this load generator: a native
    /// frame ends with `"type":"message"}` (keys are sorted); a Socket.IO one starts with
    /// `42["message"`; the text is `b<step>:<sent nanoseconds>`. Scans raw bytes: this runs for
    /// every frame received and must cost far less than the server's work for it.
    static func delivery(in data: ByteBuffer, wire: Wire, ack: Bool = false) -> Delivery? {
        data.withUnsafeReadableBytes { bytes -> Delivery? in
            switch wire {
            case .native: guard Self.bytes(bytes, endWith: ack ? nativeAckSuffix : nativeMessageSuffix) else { return nil }
            case .socketio: guard !ack, Self.bytes(bytes, startWith: socketIOMessagePrefix) else { return nil }
            }
            guard var position = Self.index(of: textKey, in: bytes) else { return nil }
            position += textKey.count
            while position < bytes.count, bytes[position] == UInt8(ascii: " ") { position += 1 }
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\""), bytes[position + 1] == UInt8(ascii: "b") else { return nil }
            position += 2
            var step: UInt64 = 0
            var sent: UInt64 = 0
            var seenColon = false
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: ":") {
                    seenColon = true
                } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                    if seenColon { sent = sent &* 10 &+ UInt64(byte &- UInt8(ascii: "0")) } else { step = step &* 10 &+ UInt64(byte &- UInt8(ascii: "0")) }
                } else {
                    break
                }
                position += 1
            }
            guard seenColon else { return nil }
            return Delivery(step: UInt16(truncatingIfNeeded: step), sent: sent, received: monotonicNanoseconds())
        }
    }

    private static let nativeMessageSuffix = Array(#""type":"message"}"#.utf8)
    private static let nativeAckSuffix = Array(#""type":"ack"}"#.utf8)
    private static let socketIOMessagePrefix = Array(#"42["message""#.utf8)
    private static let textKey = Array(#""text":"#.utf8)

    static func bytes(_ bytes: UnsafeRawBufferPointer, endWith suffix: [UInt8]) -> Bool {
        guard bytes.count >= suffix.count else { return false }
        let start = bytes.count - suffix.count
        for offset in 0..<suffix.count where bytes[start + offset] != suffix[offset] { return false }
        return true
    }

    static func bytes(_ bytes: UnsafeRawBufferPointer, startWith prefix: [UInt8]) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        for offset in 0..<prefix.count where bytes[offset] != prefix[offset] { return false }
        return true
    }

    /// Where `needle` first starts in `bytes`.
    static func index(of needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var position = 0
        while position <= bytes.count - needle.count {
            if bytes[position] == first {
                var offset = 1
                while offset < needle.count, bytes[position + offset] == needle[offset] { offset += 1 }
                if offset == needle.count { return position }
            }
            position += 1
        }
        return nil
    }
}
