public import Foundation

/// RFC 3339 UTC timestamps, the one textual time format of the API and of stored times.
public enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let withoutFraction = Date.ISO8601FormatStyle(timeZone: .gmt)

    /// Formats `date` as `2026-01-02T03:04:05.678Z`.
    public static func format(_ date: Date) -> String {
        withFraction.format(date)
    }

    /// Parses an RFC 3339 timestamp with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        (try? withFraction.parse(text)) ?? (try? withoutFraction.parse(text))
    }
}
