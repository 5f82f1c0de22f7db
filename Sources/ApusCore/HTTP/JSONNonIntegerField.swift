/// Finds, in one pass over a JSON text's bytes, the path of the first number that is not a
/// whole number a 64-bit integer holds (`1.5`, `1e30`): the field to name when a decoder
/// refuses such a number without saying where it was. Its cost is linear in the text whatever
/// the text's shape, and it builds no value: it keeps only the path to where it is.
package enum JSONNonIntegerField {
    /// One open container on the way to the current value.
    private enum Frame {
        case array(index: Int)
        case object(key: String?)
    }

    /// The snake_case path (`variants[0].price`) of the first such number, or `nil` when the
    /// text has none or is not UTF-8 JSON.
    package static func find(in bytes: UnsafeRawBufferPointer) -> String? {
        var frames: [Frame] = []
        var expectingKey = false
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                frames.append(.object(key: nil))
                expectingKey = true
                index += 1
            case UInt8(ascii: "["):
                frames.append(.array(index: 0))
                expectingKey = false
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                guard frames.popLast() != nil else { return nil }
                expectingKey = false
                index += 1
            case UInt8(ascii: ","):
                switch frames.last {
                case .array(let position)?: frames[frames.count - 1] = .array(index: position + 1)
                case .object?: expectingKey = true
                case nil: return nil
                }
                index += 1
            case UInt8(ascii: "\""):
                let isKey = expectingKey && { if case .object? = frames.last { true } else { false } }()
                let (text, end) = string(in: bytes, from: index + 1, keeping: isKey)
                if isKey {
                    frames[frames.count - 1] = .object(key: text)
                    expectingKey = false
                }
                index = end
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var end = index
                while end < count, JSONNumberSyntax.mayContain(bytes[end]) { end += 1 }
                let token = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
                if let number = Double(token), !(number.rounded() == number && abs(number) < 9.2e18) { return path(frames) }
                index = end
            default:
                index += 1
            }
        }
        return nil
    }

    /// The string starting after its opening quote, with simple escapes undone (a `\u` escape
    /// is kept as written: it only names a field), and the index after its closing quote. Only
    /// a key is `kept`; a value is skipped.
    private static func string(in bytes: UnsafeRawBufferPointer, from start: Int, keeping: Bool) -> (String, Int) {
        var text: [UInt8] = []
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return (String(decoding: text, as: UTF8.self), index + 1) }
            if !keeping {
                index += byte == UInt8(ascii: "\\") ? 2 : 1
                continue
            }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                let escaped = bytes[index + 1]
                switch escaped {
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"): text.append(contentsOf: [UInt8(ascii: "\\"), escaped])
                default: text.append(escaped)
                }
                index += 2
                continue
            }
            text.append(byte)
            index += 1
        }
        return (String(decoding: text, as: UTF8.self), index)
    }

    private static func path(_ frames: [Frame]) -> String {
        var path = ""
        for frame in frames {
            switch frame {
            case .array(let index): path += "[\(index)]"
            case .object(let key?): path += path.isEmpty ? key : ".\(key)"
            case .object(nil): break
            }
        }
        return path
    }
}
