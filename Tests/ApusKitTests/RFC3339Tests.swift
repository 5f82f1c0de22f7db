@testable import ApusKit
import Foundation
import Testing

@Suite struct RFC3339Tests {
    @Test func timesReadToTheNanosecondWithTheirOffsets() {
        #expect(RFC3339.nanoseconds("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.nanoseconds("2026-12-03T10:15:30.123456789Z") == 1_796_292_930_123_456_789)
        #expect(RFC3339.nanoseconds("2026-12-03T10:15:30.5Z") == 1_796_292_930_500_000_000)
        #expect(RFC3339.nanoseconds("2026-12-03T11:15:30+01:00") == 1_796_292_930_000_000_000)
        #expect(RFC3339.nanoseconds("2026-12-03 05:45:30-04:30") == 1_796_292_930_000_000_000)
        #expect(RFC3339.nanoseconds("2024-02-29T00:00:00z") == 1_709_164_800_000_000_000)
        #expect(RFC3339.nanoseconds("1969-12-31T23:59:59Z") == -1_000_000_000)
        // Digits past the nanosecond are read and dropped.
        #expect(RFC3339.nanoseconds("2026-12-03T10:15:30.1234567891Z") == 1_796_292_930_123_456_789)
    }

    @Test func whatIsNotAnRFC3339TimeIsRefused() {
        for bad in ["", "2026-12-03", "2026-12-03T10:15:30", "2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                    "2026-12-03T24:00:00Z", "2026-12-03T10:15:30.Z", "2026-12-03T10:15:30Zjunk", "2026-12-03T10:15:30+0100", "１９７０-01-01T00:00:00Z"] {
            #expect(RFC3339.nanoseconds(bad) == nil, "\(bad)")
        }
    }

    @Test func agreesWithFoundationOverManySeconds() {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator)
            let text = Date(timeIntervalSince1970: Double(seconds)).formatted(style)
            #expect(RFC3339.nanoseconds(text) == seconds * 1_000_000_000, "\(text)")
        }
    }
}
