/// Protocol Buffers' wire format, read field by field: enough to decode a message whose schema
/// the caller knows (Loki's push) without generated code. Unknown fields are skipped, as
/// protobuf requires; groups (wire types 3 and 4, long deprecated) are refused.
public struct ProtobufReader {
    public enum WireType: Int, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    public struct Malformed: Error, Equatable {
        public let reason: String
    }

    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        index = 0
        end = bytes.count
    }

    private init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        index = range.lowerBound
        end = range.upperBound
    }

    /// The next field's number and wire type, or `nil` at the end of the message.
    public mutating func nextField() throws(Malformed) -> (number: Int, wireType: WireType)? {
        guard index < end else { return nil }
        let key = try varint()
        guard let wireType = WireType(rawValue: Int(key & 0x07)) else { throw Malformed(reason: "wire type \(key & 0x07) is not supported") }
        let number = Int(key >> 3)
        guard number > 0, number <= 536_870_911 else { throw Malformed(reason: "field number \(number) is out of range") }
        return (number, wireType)
    }

    public mutating func varint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < end {
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw Malformed(reason: "a varint is longer than ten bytes") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw Malformed(reason: "the message ends inside a varint")
    }

    /// A length-delimited field's bytes.
    public mutating func bytesField() throws(Malformed) -> ArraySlice<UInt8> {
        let range = try lengthDelimitedRange()
        return bytes[range]
    }

    /// A length-delimited field read as UTF-8 text (invalid sequences replaced).
    public mutating func string() throws(Malformed) -> String {
        String(decoding: try bytesField(), as: UTF8.self)
    }

    /// A reader over an embedded message.
    public mutating func message() throws(Malformed) -> ProtobufReader {
        ProtobufReader(bytes: bytes, range: try lengthDelimitedRange())
    }

    /// Skips a field of `wireType`.
    public mutating func skip(_ wireType: WireType) throws(Malformed) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: try advance(8)
        case .fixed32: try advance(4)
        case .lengthDelimited: _ = try lengthDelimitedRange()
        }
    }

    private mutating func lengthDelimitedRange() throws(Malformed) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - index) else { throw Malformed(reason: "a field of \(length) bytes runs past the message's end") }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    private mutating func advance(_ count: Int) throws(Malformed) {
        guard count <= end - index else { throw Malformed(reason: "the message ends inside a fixed-width field") }
        index += count
    }
}
