import ApusCore
import ApusTesting
import Foundation
import Testing

@Suite struct TimestampTests {
    /// Stored times are whole milliseconds since 1970, rounded down, and read back as such.
    @Test func epochMillisecondsRoundDownAndReadBack() throws {
        #expect(Date(timeIntervalSince1970: 1.9999).epochMilliseconds == 1_999)
        #expect(Date(timeIntervalSince1970: -0.0005).epochMilliseconds == -1)
        #expect(Date(epochMilliseconds: 1_764_000_000_123).epochMilliseconds == 1_764_000_000_123)
        #expect(Date(epochMilliseconds: 1_500) == Date(timeIntervalSince1970: 1.5))
        // Every stored millisecond reads back as itself, though most are no exact double.
        for milliseconds in Int64(1_796_000_000_000)..<1_796_000_002_000 {
            #expect(Date(epochMilliseconds: milliseconds).epochMilliseconds == milliseconds)
            #expect(Timestamp.format(try #require(Timestamp.parse(Timestamp.format(Date(epochMilliseconds: milliseconds))))) == Timestamp.format(Date(epochMilliseconds: milliseconds)))
        }
    }

    @Test(arguments: [0.0, 1.5, 1_764_000_000.123, 951_782_400.999, -1.5, 253_402_300_799.0])
    func formattingAgreesWithTheISO8601StyleAndParsesBack(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let expected = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).format(date)
        let formatted = Timestamp.format(date)
        // Same calendar fields; the fraction is truncated to the millisecond, never rounded up
        // past the microsecond of slack that absorbs binary error (a binary .123 is .12299…,
        // still .123), which keeps a time from moving past a boundary.
        #expect(formatted.prefix(20) == expected.prefix(20))
        #expect(formatted.count == 24 && formatted.hasSuffix("Z"))
        let milliseconds = Int64((seconds * 1000 + 0.001).rounded(.down))
        #expect(Int64(formatted.dropFirst(20).prefix(3))! == (milliseconds % 1000 + 1000) % 1000)
        let parsed = try #require(Timestamp.parse(Timestamp.format(date)))
        #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.001)
    }
}
