import ApusKit

/// Random identifiers and secrets: 128 bits (or more) from the system generator, Base62-encoded.
public enum OpaqueID {
    /// A new id such as `usr_3hK9...` (prefix, underscore, 22 characters).
    public static func make(_ prefix: String) -> String {
        "\(prefix)_\(random(words: 2))"
    }

    /// `words` × 64 random bits, Base62, each word padded to 11 characters.
    public static func random(words: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<words {
            let part = Base62.encode(generator.next())
            text += String(repeating: "0", count: 11 - part.count) + part
        }
        return text
    }
}
