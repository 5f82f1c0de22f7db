import ApusKit
import Testing

/// The wire format field by field: varints (negative ones too), fixed widths, strings, nested
/// messages, unknown fields skipped, and bytes that lie about their lengths refused.
@Suite struct ProtobufReaderTests {
    /// field 1 varint 150; field 2 string "testing"; field 3 message { field 1 varint -2 };
    /// field 9 fixed32, field 10 fixed64 (unknown to the reader's caller, skipped).
    static let message: [UInt8] = [0x08, 0x96, 0x01, 0x12, 0x07] + Array("testing".utf8)
        + [0x1A, 0x0B, 0x08, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        + [0x4D, 1, 2, 3, 4, 0x51, 1, 2, 3, 4, 5, 6, 7, 8]

    @Test func fieldsAreReadInOrderAndUnknownOnesSkipped() throws {
        var reader = ProtobufReader(Self.message)
        var seen: [String] = []
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .varint): seen.append("1=\(try reader.varint())")
            case (2, .lengthDelimited): seen.append("2=\(try reader.string())")
            case (3, .lengthDelimited):
                var inner = try reader.message()
                while let part = try inner.nextField() {
                    #expect(part.number == 1)
                    seen.append("3.1=\(Int64(bitPattern: try inner.varint()))")
                }
            default:
                seen.append("skip \(field.number)")
                try reader.skip(field.wireType)
            }
        }
        #expect(seen == ["1=150", "2=testing", "3.1=-2", "skip 9", "skip 10"])
    }

    @Test func bytesThatLieAboutTheirLengthsAreRefused() {
        for bytes: [UInt8] in [
            [0x12, 0x05, 0x61],                 // a string longer than what is left
            [0x08, 0x96],                       // a varint cut short
            [0x08] + [UInt8](repeating: 0xFF, count: 11),  // a varint of eleven bytes
            [0x0B],                             // a group (wire type 3)
            [0x00],                             // field number 0
            [0x4D, 1, 2],                       // a fixed32 cut short
        ] {
            #expect(throws: ProtobufReader.Malformed.self, "\(bytes)") {
                var reader = ProtobufReader(bytes)
                while let field = try reader.nextField() { try reader.skip(field.wireType) }
            }
        }
    }
}
