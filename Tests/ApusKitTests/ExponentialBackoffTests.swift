import ApusKit
import Testing

@Suite struct ExponentialBackoffTests {
    @Test func ceilingDoublesUntilTheCap() {
        let backoff = ExponentialBackoff(base: 0.5, cap: 10)
        #expect((1...7).map(backoff.ceiling(attempt:)) == [0.5, 1, 2, 4, 8, 10, 10])
        #expect(backoff.ceiling(attempt: 10_000) == 10)
    }

    @Test func delaysAreFullyJitteredWithinTheCeiling() {
        let backoff = ExponentialBackoff(base: 1, cap: 60)
        var generator = SplitMix64(seed: 42)
        let delays = (0..<1000).map { _ in backoff.delay(attempt: 4, using: &generator) }
        #expect(delays.allSatisfy { (0...8).contains($0) })
        // Full jitter spreads over the whole range, not just near the ceiling.
        #expect(delays.contains { $0 < 2 })
        #expect(delays.contains { $0 > 6 })
    }
}
