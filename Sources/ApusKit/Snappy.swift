/// Snappy's block format, decompressed (what promtail and Grafana Alloy compress a Loki push
/// with): the uncompressed length as a varint, then literals and back-references. Every length
/// and offset is checked, so a hostile block is refused, never read past or grown past its
/// declared size, and the declared size is refused up front when it passes the caller's limit.
public enum Snappy {
    public enum Malformed: Error, Equatable {
        /// The block declares more bytes than the caller allows.
        case tooLarge(declared: Int, limit: Int)
        /// The block is cut short, refers before its start, or does not add up to its length.
        case corrupt(String)
    }

    /// The bytes `block` holds, at most `limit` of them.
    public static func decompress(_ block: some Collection<UInt8>, limit: Int) throws(Malformed) -> [UInt8] {
        let input = Array(block)
        var index = 0

        func byte() throws(Malformed) -> Int {
            guard index < input.count else { throw .corrupt("the block ends inside an element") }
            defer { index += 1 }
            return Int(input[index])
        }
        func littleEndian(_ count: Int) throws(Malformed) -> Int {
            var value = 0
            for shift in 0..<count { value |= try byte() << (8 * shift) }
            return value
        }

        var declared = 0
        var shift = 0
        while true {
            let next = try byte()
            guard shift <= 28 else { throw .corrupt("the length varint is too long") }
            declared |= (next & 0x7F) << shift
            if next & 0x80 == 0 { break }
            shift += 7
        }
        guard declared <= limit else { throw .tooLarge(declared: declared, limit: limit) }

        var output: [UInt8] = []
        // What a block can expand to is bounded by what it holds: no more is reserved at once.
        output.reserveCapacity(min(declared, input.count * 32))
        while index < input.count {
            let tag = try byte()
            switch tag & 0x03 {
            case 0:
                var length = tag >> 2
                if length >= 60 { length = try littleEndian(length - 59) }
                length += 1
                guard length <= input.count - index else { throw .corrupt("a literal runs past the block's end") }
                guard length <= declared - output.count else { throw .corrupt("the elements add up to more than the declared length") }
                output.append(contentsOf: input[index..<(index + length)])
                index += length
            default:
                let length: Int
                let offset: Int
                switch tag & 0x03 {
                case 1:
                    length = 4 + ((tag >> 2) & 0x07)
                    offset = ((tag >> 5) << 8) | (try byte())
                case 2:
                    length = 1 + (tag >> 2)
                    offset = try littleEndian(2)
                default:
                    length = 1 + (tag >> 2)
                    offset = try littleEndian(4)
                }
                guard offset > 0, offset <= output.count else { throw .corrupt("a copy refers to \(offset) bytes back, before the start") }
                guard length <= declared - output.count else { throw .corrupt("the elements add up to more than the declared length") }
                // A copy may overlap what it writes (a run): byte by byte.
                let start = output.count - offset
                for position in 0..<length { output.append(output[start + position]) }
            }
        }
        guard output.count == declared else { throw .corrupt("the elements add up to \(output.count) bytes, not the declared \(declared)") }
        return output
    }
}
