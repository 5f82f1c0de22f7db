/// RFC 3339 timestamps read straight from their digits to nanoseconds since the epoch: no
/// formatter, no allocation, every fraction digit kept (a log line's time to the nanosecond).
/// Takes `Z` or a `±hh:mm` offset, `T`, `t` or a space between date and time, and refuses a
/// day the calendar lacks.
public enum RFC3339 {
    /// Nanoseconds since 1970-01-01T00:00:00Z, or `nil` when `text` is not an RFC 3339 time.
    public static func nanoseconds(_ text: some StringProtocol) -> Int64? {
        var utf8 = Array(text.utf8)[...]
        func number(_ count: Int) -> Int? {
            guard utf8.count >= count else { return nil }
            var value = 0
            for byte in utf8.prefix(count) {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            utf8 = utf8.dropFirst(count)
            return value
        }
        func expect(_ allowed: UInt8...) -> Bool {
            guard let byte = utf8.first, allowed.contains(byte) else { return false }
            utf8 = utf8.dropFirst()
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
              expect(0x54, 0x74, 0x20), let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A), let second = number(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month, of: year), hour < 24, minute < 60, second <= 60 else { return nil }
        var nanos = 0
        if utf8.first == 0x2E {
            utf8 = utf8.dropFirst()
            var digits = 0
            while let byte = utf8.first, byte >= 0x30, byte <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int(byte - 0x30) }
                digits += 1
                utf8 = utf8.dropFirst()
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset = 0
        if expect(0x5A, 0x7A) {
            offset = 0
        } else if let sign = utf8.first, sign == 0x2B || sign == 0x2D {
            utf8 = utf8.dropFirst()
            guard let hours = number(2), expect(0x3A), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offset = (hours * 60 + minutes) * 60 * (sign == 0x2D ? -1 : 1)
        } else {
            return nil
        }
        guard utf8.isEmpty else { return nil }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        let (scaled, overflow) = Int64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        return scaled + Int64(nanos)
    }

    package static func daysIn(_ month: Int, of year: Int) -> Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days from 1970-01-01 to the date (Howard Hinnant's `days_from_civil`).
    package static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
