/// The name of an object in an ``ObjectStore``: one to eight segments of `A-Z a-z 0-9 _ -`
/// (1-100 characters each) joined by `/`. Nothing else is a key, so no key can climb out of a
/// directory or name a hidden file; and keys are made by the server (``generate(under:)``),
/// never taken from a client.
public struct ObjectKey: Sendable, Hashable, CustomStringConvertible {
    /// The key as text, `a/b/c`.
    public let path: String

    /// `path` as a key, or `nil` if it is not one.
    public init?(_ path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...8).contains(segments.count), segments.allSatisfy(Self.isSegment) else { return nil }
        self.path = path
    }

    /// A fresh key under `prefix` (itself a key) with a random last segment.
    public static func generate(under prefix: String) -> ObjectKey {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        let name = String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
        guard let key = ObjectKey("\(prefix)/\(name)") else { preconditionFailure("'\(prefix)' is not a key prefix") }
        return key
    }

    /// Whether `text` may be a prefix given to ``ObjectStore/list(prefix:)``: a key, or empty.
    static func isPrefix(_ text: String) -> Bool {
        text.isEmpty || ObjectKey(text) != nil
    }

    private static func isSegment(_ segment: Substring) -> Bool {
        (1...100).contains(segment.utf8.count) && segment.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
    }

    public var description: String { path }
}
