/// logfmt, as go-logfmt reads it (what Loki's `| logfmt` uses): `key=value` pairs separated by
/// spaces, a value bare or double-quoted with backslash escapes, a key alone meaning an empty
/// value.
enum Logfmt {
    /// The line's pairs in order, or `nil` when it is not logfmt (an unclosed quote, a pair
    /// without a key).
    static func fields(_ line: String) -> [(String, String)]? {
        let bytes = Array(line.utf8)
        var fields: [(String, String)] = []
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while index < bytes.count {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { break }
            let keyStart = index
            while index < bytes.count, !isSpace(bytes[index]), bytes[index] != 0x3D, bytes[index] != 0x22 { index += 1 }
            guard index > keyStart else { return nil }
            let key = String(decoding: bytes[keyStart..<index], as: UTF8.self)
            guard index < bytes.count, bytes[index] == 0x3D else {
                if index < bytes.count, bytes[index] == 0x22 { return nil }
                fields.append((key, ""))
                continue
            }
            index += 1
            if index < bytes.count, bytes[index] == 0x22 {
                index += 1
                var value: [UInt8] = []
                var closed = false
                while index < bytes.count {
                    let byte = bytes[index]
                    index += 1
                    if byte == 0x22 { closed = true; break }
                    if byte == 0x5C, index < bytes.count {
                        let escaped = bytes[index]
                        index += 1
                        switch escaped {
                        case 0x6E: value.append(0x0A)
                        case 0x74: value.append(0x09)
                        case 0x72: value.append(0x0D)
                        default: value.append(escaped)
                        }
                    } else {
                        value.append(byte)
                    }
                }
                guard closed else { return nil }
                fields.append((key, String(decoding: value, as: UTF8.self)))
            } else {
                let valueStart = index
                while index < bytes.count, !isSpace(bytes[index]) { index += 1 }
                fields.append((key, String(decoding: bytes[valueStart..<index], as: UTF8.self)))
            }
        }
        return fields
    }
}
