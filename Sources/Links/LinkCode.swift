import ApusKit

/// Turns sequence numbers into short codes that are unique (the map is a bijection on 36-bit
/// numbers) but neither sequential nor guessable without the install's key: a 4-round Feistel
/// network keyed per install, then Base62 (at most 7 characters for 2^36 codes).
struct LinkCode: Sendable {
    private let key: UInt64
    private static let halfBits: UInt64 = 18
    private static let halfMask: UInt64 = (1 << halfBits) - 1

    init(key: UInt64) {
        self.key = key
    }

    /// The code of sequence number `number` (below 2^36).
    func code(for number: UInt64) -> String {
        Base62.encode(permute(number))
    }

    /// The Feistel permutation of a 36-bit number.
    func permute(_ number: UInt64) -> UInt64 {
        var left = (number >> Self.halfBits) & Self.halfMask
        var right = number & Self.halfMask
        for round in 0..<4 {
            (left, right) = (right, left ^ roundFunction(right, round: UInt64(round)))
        }
        return (left << Self.halfBits) | right
    }

    /// The inverse permutation (for tests: it shows the map is a bijection).
    func unpermute(_ number: UInt64) -> UInt64 {
        var left = (number >> Self.halfBits) & Self.halfMask
        var right = number & Self.halfMask
        for round in (0..<4).reversed() {
            (left, right) = (right ^ roundFunction(left, round: UInt64(round)), left)
        }
        return (left << Self.halfBits) | right
    }

    private func roundFunction(_ half: UInt64, round: UInt64) -> UInt64 {
        // SplitMix64's finaliser: a cheap mix where every input bit moves every output bit.
        var z = half &+ key &+ round &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (z ^ (z >> 31)) & Self.halfMask
    }

    /// Whether `alias` may be chosen: 3-64 of `A-Z a-z 0-9 _ -`.
    static func isValidAlias(_ alias: String) -> Bool {
        (3...64).contains(alias.utf8.count) && alias.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45
        }
    }

    /// Whether `text` could be a code or alias at all (what a redirect looks up).
    static func isPlausible(_ text: Substring) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45
        }
    }
}
