import ApusKit

/// One syslog message, read from either format senders use: RFC 5424 (`<PRI>1 TIMESTAMP
/// HOSTNAME APP-NAME PROCID MSGID [SD] MSG`) or the older BSD one of RFC 3164 (`<PRI>Mmm dd
/// hh:mm:ss HOSTNAME TAG[PID]: MSG`). Read leniently, as syslog daemons read: what a field
/// cannot be is left to the message text, a missing priority is `user.notice` (RFC 3164 §4.3.3),
/// and a message without a time takes the time it arrived.
struct SyslogMessage: Equatable, Sendable {
    struct Element: Equatable, Sendable {
        var id: String
        var parameters: [Parameter]
    }

    struct Parameter: Equatable, Sendable {
        var name: String
        var value: String
    }

    var facility = 1
    var severity = 5
    /// Nanoseconds since the epoch: the message's own time, else when it arrived.
    var timestamp: Int64
    var hostname: String?
    var appName: String?
    var procID: String?
    var msgID: String?
    var structuredData: [Element] = []
    var text = ""

    /// Severity keywords, 0 to 7 (RFC 5424 table 2), as Grafana reads a `level`.
    static let severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
    /// Facility keywords, 0 to 23, as syslog daemons name them.
    static let facilities = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ]

    /// Reads `bytes` (one frame), received at `receivedAt` (nanoseconds since the epoch).
    /// `localOffset` is the receiver's offset from UTC in seconds: an RFC 3164 time names
    /// neither its year nor its zone, so it is read in the receiver's zone and given the year
    /// that puts it nearest the arrival.
    init(parsing bytes: [UInt8], receivedAt: Int64, localOffset: Int) {
        timestamp = receivedAt
        var reader = Reader(bytes[...])
        if let priority = reader.priority() {
            facility = priority / 8
            severity = priority % 8
        }
        if reader.skip("1 ") {
            readStructured(&reader)
        } else {
            readBSD(&reader, receivedAt: receivedAt, localOffset: localOffset)
        }
    }

    // MARK: RFC 5424

    private mutating func readStructured(_ reader: inout Reader) {
        let time = reader.field()
        if let time, let nanoseconds = RFC3339.nanoseconds(time) { timestamp = nanoseconds }
        hostname = reader.field()
        appName = reader.field()
        procID = reader.field()
        msgID = reader.field()
        if reader.skip("-") {
            // No structured data.
        } else if let elements = reader.structuredData() {
            structuredData = elements
        }
        _ = reader.skip(" ")
        // A message in UTF-8 may start with its byte order mark. rsyslog's `%msg%` keeps the
        // space that followed a BSD tag: one such space is not the message's.
        _ = reader.skip("\u{FEFF}")
        _ = reader.skip(" ")
        text = reader.rest()
    }

    // MARK: RFC 3164

    private mutating func readBSD(_ reader: inout Reader, receivedAt: Int64, localOffset: Int) {
        // rsyslog's forwarding format puts an RFC 3339 time where the BSD one goes.
        if let time = reader.bsdTime(receivedAt: receivedAt, localOffset: localOffset) ?? reader.rfc3339Time() {
            timestamp = time
            if let host = reader.field() { hostname = host }
        }
        let saved = reader
        if let (tag, pid) = reader.tag() {
            appName = tag
            procID = pid
        } else {
            reader = saved
        }
        text = reader.rest()
    }
}

/// A cursor over one frame's bytes.
private struct Reader {
    var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    mutating func skip(_ literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        guard bytes.starts(with: utf8) else { return false }
        bytes = bytes.dropFirst(utf8.count)
        return true
    }

    /// `<PRI>`: one to three digits, at most 191.
    mutating func priority() -> Int? {
        guard bytes.first == 0x3C, let close = bytes.prefix(5).firstIndex(of: 0x3E) else { return nil }
        let digits = bytes[(bytes.startIndex + 1)..<close]
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }),
              let value = Int(String(decoding: digits, as: UTF8.self)), value <= 191 else { return nil }
        bytes = bytes[(close + 1)...]
        return value
    }

    /// A field up to the next space (which is consumed); `nil` for the NILVALUE `-` or an empty field.
    mutating func field() -> String? {
        let end = bytes.firstIndex(of: 0x20) ?? bytes.endIndex
        let value = bytes[..<end]
        bytes = end < bytes.endIndex ? bytes[(end + 1)...] : bytes[end...]
        guard !value.isEmpty, value != [0x2D] else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    /// One or more `[ID NAME="VALUE" …]` elements; `nil` (and nothing consumed) if they are not.
    mutating func structuredData() -> [SyslogMessage.Element]? {
        var copy = self
        var elements: [SyslogMessage.Element] = []
        while copy.bytes.first == 0x5B {
            copy.bytes = copy.bytes.dropFirst()
            guard let id = copy.name(), !id.isEmpty else { return nil }
            var element = SyslogMessage.Element(id: id, parameters: [])
            while copy.bytes.first == 0x20 {
                copy.bytes = copy.bytes.dropFirst()
                guard let name = copy.name(), !name.isEmpty, copy.skip("=\""), let value = copy.quoted() else { return nil }
                element.parameters.append(SyslogMessage.Parameter(name: name, value: value))
            }
            guard copy.skip("]") else { return nil }
            elements.append(element)
        }
        guard !elements.isEmpty else { return nil }
        self = copy
        return elements
    }

    /// An SD-NAME: printable ASCII but `=`, space, `]` and `"`.
    private mutating func name() -> String? {
        let end = bytes.firstIndex { $0 == 0x3D || $0 == 0x20 || $0 == 0x5D || $0 == 0x22 || $0 < 0x21 || $0 > 0x7E } ?? bytes.endIndex
        guard end < bytes.endIndex else { return nil }
        let name = String(decoding: bytes[..<end], as: UTF8.self)
        bytes = bytes[end...]
        return name
    }

    /// A PARAM-VALUE after its opening quote, through its closing one; `\"`, `\\` and `\]` unescaped.
    private mutating func quoted() -> String? {
        var value: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x5C, index + 1 < bytes.endIndex, [0x22, 0x5C, 0x5D].contains(bytes[index + 1]) {
                value.append(bytes[index + 1])
                index += 2
            } else if byte == 0x22 {
                bytes = bytes[(index + 1)...]
                return String(decoding: value, as: UTF8.self)
            } else {
                value.append(byte)
                index += 1
            }
        }
        return nil
    }

    /// `Mmm dd hh:mm:ss ` (the day space-padded), as nanoseconds since the epoch.
    mutating func bsdTime(receivedAt: Int64, localOffset: Int) -> Int64? {
        guard bytes.count >= 16 else { return nil }
        let text = Array(bytes.prefix(16))
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(where: { Array($0.utf8) == Array(text[0..<3]) }), text[3] == 0x20, text[15] == 0x20,
              text[6] == 0x20, text[9] == 0x3A, text[12] == 0x3A else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            var digits = 0
            for byte in text[range] {
                if byte == 0x20, digits == 0 { continue }
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        guard let day = number(4..<6), let hour = number(7..<9), let minute = number(10..<12), let second = number(13..<15),
              day >= 1, day <= 31, hour < 24, minute < 60, second <= 60 else { return nil }
        let month = monthIndex + 1
        // The year that puts the time nearest its arrival (a December line read in January).
        let arrival = receivedAt / 1_000_000_000
        let approximateYear = 1970 + Int(arrival / 31_556_952)
        var best: Int64?
        for year in (approximateYear - 1)...(approximateYear + 1) where day <= RFC3339.daysIn(month, of: year) {
            let seconds = Int64(RFC3339.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - localOffset)
            if best.map({ abs($0 - arrival) > abs(seconds - arrival) }) ?? true { best = seconds }
        }
        guard let best else { return nil }
        bytes = bytes.dropFirst(16)
        return best * 1_000_000_000
    }

    /// An RFC 3339 time and its space.
    mutating func rfc3339Time() -> Int64? {
        guard let first = bytes.first, (0x30...0x39).contains(first) else { return nil }
        let end = bytes.firstIndex(of: 0x20) ?? bytes.endIndex
        guard let time = RFC3339.nanoseconds(String(decoding: bytes[..<end], as: UTF8.self)) else { return nil }
        bytes = end < bytes.endIndex ? bytes[(end + 1)...] : bytes[end...]
        return time
    }

    /// `TAG: ` or `TAG[PID]: `, the tag alphanumeric with `-`, `_`, `.` and `/` (at most 48).
    mutating func tag() -> (String, String?)? {
        let end = bytes.prefix(49).firstIndex { byte in
            !((0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || [0x2D, 0x5F, 0x2E, 0x2F].contains(byte))
        }
        guard let end, end > bytes.startIndex else { return nil }
        let tag = String(decoding: bytes[..<end], as: UTF8.self)
        bytes = bytes[end...]
        var pid: String?
        if bytes.first == 0x5B {
            guard let close = bytes.prefix(34).firstIndex(of: 0x5D) else { return nil }
            pid = String(decoding: bytes[(bytes.startIndex + 1)..<close], as: UTF8.self)
            bytes = bytes[(close + 1)...]
        }
        guard skip(":") else { return nil }
        _ = skip(" ")
        return (tag, pid)
    }

    /// What is left, as text (invalid UTF-8 replaced), without the line end a sender put
    /// inside a counted frame (rsyslog drops it on reception too).
    mutating func rest() -> String {
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        defer { bytes = bytes[bytes.endIndex...] }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
