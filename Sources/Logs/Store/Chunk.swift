import CompressNIO
import Foundation
import NIOCore

/// A stream's lines for a stretch of time, stored as one compressed block (as Loki's chunks and
/// VictoriaLogs' blocks): entries in time order, each a varint time delta, the line and its
/// metadata, then deflated with zlib. A query reads only the chunks of the streams its selector
/// names whose time overlaps its range, and decompresses each once.
enum Chunk {
    /// A block that cannot be read back: storage damaged or written by something else.
    struct Damaged: Error {}

    /// The block for `entries`, sorted by time (stable: equal times keep their order);
    /// `quickly` at zlib's fastest level (for a chunk a compaction will merge and compress again).
    static func encode(_ entries: [LogEntry], quickly: Bool = false) -> (data: Data, rawBytes: Int) {
        let sorted = entries.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
        var raw = ByteBuffer()
        raw.reserveCapacity(entries.reduce(16) { $0 + $1.line.utf8.count + 12 })
        writeVarint(UInt64(sorted.count), to: &raw)
        var previous: Int64 = 0
        for entry in sorted {
            writeVarint(zigzag(entry.timestamp &- previous), to: &raw)
            previous = entry.timestamp
            writeString(entry.line, to: &raw)
            writeVarint(UInt64(entry.metadata.count), to: &raw)
            for (key, value) in entry.metadata.sorted(by: { $0.key < $1.key }) {
                writeString(key, to: &raw)
                writeString(value, to: &raw)
            }
        }
        let rawBytes = raw.readableBytes
        let compressed = (try? raw.compress(with: .deflate(configuration: ZlibConfiguration(compressionLevel: quickly ? 1 : 6)))) ?? raw
        return (Data(compressed.readableBytesView), rawBytes)
    }

    /// The entries of a block of `rawBytes` uncompressed bytes.
    static func decode(_ data: Data, rawBytes: Int) throws -> [LogEntry] {
        var compressed = ByteBuffer(bytes: data)
        var raw = ByteBuffer()
        raw.reserveCapacity(rawBytes)
        do {
            try compressed.decompress(to: &raw, with: .deflate())
        } catch {
            throw Damaged()
        }
        guard let count = readVarint(&raw), count <= UInt64(raw.readableBytes) else { throw Damaged() }
        var entries: [LogEntry] = []
        entries.reserveCapacity(Int(count))
        var previous: Int64 = 0
        for _ in 0..<count {
            guard let delta = readVarint(&raw), let line = readString(&raw), let fields = readVarint(&raw), fields <= UInt64(raw.readableBytes) else { throw Damaged() }
            previous = previous &+ unzigzag(delta)
            var metadata: [String: String] = [:]
            for _ in 0..<fields {
                guard let key = readString(&raw), let value = readString(&raw) else { throw Damaged() }
                metadata[key] = value
            }
            entries.append(LogEntry(timestamp: previous, line: line, metadata: metadata))
        }
        return entries
    }

    private static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    private static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    private static func writeVarint(_ value: UInt64, to buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }

    private static func readVarint(_ buffer: inout ByteBuffer) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = buffer.readInteger(as: UInt8.self) {
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    private static func writeString(_ string: String, to buffer: inout ByteBuffer) {
        writeVarint(UInt64(string.utf8.count), to: &buffer)
        buffer.writeString(string)
    }

    private static func readString(_ buffer: inout ByteBuffer) -> String? {
        guard let length = readVarint(&buffer), length <= UInt64(buffer.readableBytes) else { return nil }
        return buffer.readString(length: Int(length))
    }
}
