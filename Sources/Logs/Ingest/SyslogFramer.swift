/// Cuts a TCP byte stream into syslog messages the two ways RFC 6587 frames them, told apart
/// frame by frame as rsyslog does: octet counting (`LEN SP MSG`, as `logger --octet-count` and
/// rsyslog's `omfwd` with `TCP_Framing="octet-counted"` send), or a line feed after each
/// message (non-transparent framing, what most senders do). A frame longer than the limit is
/// skipped whole and reported, so one bad message never desynchronises the stream.
struct SyslogFramer {
    enum Frame: Equatable {
        case message([UInt8])
        /// A frame of this many bytes (at least) was skipped: longer than the limit.
        case tooLong(Int)
    }

    let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes of an over-long octet-counted frame still to drop.
    private var skipping = 0
    /// Whether an over-long line is being dropped up to its line feed.
    private var skippingLine = false

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or `nil` until more bytes arrive.
    mutating func next() -> Frame? {
        while true {
            if skipping > 0 {
                let dropped = min(skipping, buffer.count - start)
                start += dropped
                skipping -= dropped
                if skipping > 0 { return nil }
            }
            if skippingLine {
                guard let feed = buffer[start...].firstIndex(of: 0x0A) else {
                    start = buffer.count
                    return nil
                }
                start = feed + 1
                skippingLine = false
            }
            // Line ends, returns and NULs between frames are not messages.
            while start < buffer.count, [0x0A, 0x0D, 0x00].contains(buffer[start]) { start += 1 }
            guard start < buffer.count else { return nil }
            if (0x31...0x39).contains(buffer[start]) {
                switch octetCount() {
                case .incomplete: return nil
                case .length(let length, let body):
                    guard length <= maxFrameBytes else {
                        start = body
                        skipping = length
                        return .tooLong(length)
                    }
                    guard buffer.count - body >= length else { return nil }
                    start = body + length
                    return .message(Array(buffer[body..<start]))
                case .notCounted: break
                }
            }
            guard let feed = buffer[start...].firstIndex(of: 0x0A) else {
                let waiting = buffer.count - start
                guard waiting > maxFrameBytes else { return nil }
                start = buffer.count
                skippingLine = true
                return .tooLong(waiting)
            }
            var end = feed
            if end > start, buffer[end - 1] == 0x0D { end -= 1 }
            let frame = Array(buffer[start..<end])
            start = feed + 1
            guard frame.count <= maxFrameBytes else { return .tooLong(frame.count) }
            return .message(frame)
        }
    }

    /// What is left when the connection ends: a last message its sender ended without a line feed.
    mutating func finish() -> Frame? {
        guard skipping == 0, !skippingLine else { return nil }
        while start < buffer.count, [0x0A, 0x0D, 0x00].contains(buffer[start]) { start += 1 }
        guard start < buffer.count else { return nil }
        let rest = Array(buffer[start...])
        start = buffer.count
        return rest.count <= maxFrameBytes ? .message(rest) : .tooLong(rest.count)
    }

    private enum Count { case incomplete, notCounted, length(Int, body: Int) }

    /// Reads `LEN SP` at the start: at most ten digits, then a space.
    private func octetCount() -> Count {
        var length = 0
        var index = start
        while index < buffer.count, index - start <= 10 {
            let byte = buffer[index]
            if byte == 0x20 { return .length(length, body: index + 1) }
            guard (0x30...0x39).contains(byte) else { return .notCounted }
            length = length * 10 + Int(byte - 0x30)
            index += 1
        }
        return index - start > 10 ? .notCounted : .incomplete
    }
}
