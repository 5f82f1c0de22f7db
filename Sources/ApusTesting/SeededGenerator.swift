/// SplitMix64: random numbers that are the same on every run, so a failing case can be rerun.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A text of up to `maximumLength` pieces drawn from `pieces`.
    public mutating func text(from pieces: [String], maximumLength: Int) -> String {
        let length = Int.random(in: 0...maximumLength, using: &self)
        return (0..<length).map { _ in pieces.randomElement(using: &self)! }.joined()
    }
}
