import ApusKit
public import Foundation

/// Random identifiers and secrets: 128 bits (or more) from the system generator, Base62-encoded.
public enum OpaqueID {
    /// A new id such as `ntf_0mj2x1k3a93hK9...`: the prefix, an underscore, the time of making
    /// in milliseconds (10 base-36 digits, so ids sort by time, in byte order and in any
    /// collation), then 128 random bits. Still opaque to clients. `time` is the caller's clock
    /// (`platform.now()`, `transaction.now()`), so ids made under a test clock sort by it.
    public static func make(_ prefix: String, at time: Date) -> String {
        "\(prefix)_\(timePart(time))\(random(words: 2))"
    }

    /// Milliseconds since 1970 in 10 lower-case base-36 digits.
    static func timePart(_ time: Date) -> String {
        let milliseconds = UInt64(max(0, time.epochMilliseconds))
        let digits = String(milliseconds, radix: 36)
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    /// Whether `text` could be an id: a short prefix, an underscore, Base62. Lets routes answer a
    /// malformed id with 404 without asking the database.
    public static func isWellFormed(_ text: some StringProtocol) -> Bool {
        guard text.utf8.count <= 64, let underscore = text.firstIndex(of: "_") else { return false }
        let prefix = text[..<underscore]
        let body = text[text.index(after: underscore)...]
        return !prefix.isEmpty && !body.isEmpty
            && prefix.utf8.allSatisfy { $0 >= 97 && $0 <= 122 }
            && body.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
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
