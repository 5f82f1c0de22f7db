package import NIOCore

/// What one linear pass over a JSON body learns before it is decoded: how deeply it nests, and
/// whether any string may hold NUL. It reads bytes only, so its cost is the body's length
/// whatever the body's shape.
package struct JSONBodyShape: Sendable, Equatable {
    /// The deepest nesting of arrays and objects (`0` for a scalar).
    package var depth: Int
    /// A string holds the escape `\u0000`, or the body has a zero byte (a raw NUL, or an
    /// encoding other than UTF-8, where the escape's bytes are spread out).
    package var mayContainNUL: Bool

    /// The deepest nesting a request body may have. No API input needs more, and a deeper body
    /// would make generic decoding (which tries each type at each level, building an error that
    /// carries the whole path every time) cost the square of its depth.
    package static let maximumDepth = 64

    package init(depth: Int, mayContainNUL: Bool) {
        self.depth = depth
        self.mayContainNUL = mayContainNUL
    }

    /// Whether `buffer` is in UTF-8 rather than UTF-16 or UTF-32 as a JSON decoder tells them
    /// apart: by a byte-order mark, or a zero byte among the first four (JSON text starts with
    /// ASCII).
    package static func isUTF8(_ buffer: ByteBuffer) -> Bool {
        let head = buffer.getBytes(at: buffer.readerIndex, length: min(4, buffer.readableBytes)) ?? []
        if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) { return false }
        return !head.contains(0)
    }

    /// Scans `buffer`. Brackets inside strings do not count; escapes are skipped whole.
    package init(scanning buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Self.scan($0) }
    }

    package static func scan(_ bytes: UnsafeRawBufferPointer) -> JSONBodyShape {
        var depth = 0
        var deepest = 0
        var nul = false
        var inString = false
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == 0 { nul = true }
            if inString {
                if byte == UInt8(ascii: "\\") {
                    // `\u0000` is six bytes; any other escape is two.
                    if index + 5 < count, bytes[index + 1] == UInt8(ascii: "u"), bytes[index + 2] == 0x30, bytes[index + 3] == 0x30,
                       bytes[index + 4] == 0x30, bytes[index + 5] == 0x30 {
                        nul = true
                    }
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > deepest { deepest = depth }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                default: break
                }
            }
            index += 1
        }
        return JSONBodyShape(depth: deepest, mayContainNUL: nul)
    }
}
