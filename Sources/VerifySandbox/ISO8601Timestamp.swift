import Foundation

/// Formats and reads timestamps the way Twilio's examples show them: `2015-07-30T20:00:00Z` (UTC, whole seconds).
///
/// Both directions are computed arithmetically (Howard Hinnant's `civil_from_days` and `days_from_civil`), which
/// is far cheaper per request than a date formatter.
enum ISO8601Timestamp {
    /// Formats a date in UTC with whole seconds.
    static func string(from date: Date) -> String {
        var bytes: [UInt8] = []
        write(date, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a date in UTC with whole seconds (rounded down), e.g. `2015-07-30T20:00:00Z` (20 bytes).
    static func write(_ date: Date, into bytes: inout [UInt8]) {
        write(epochSeconds: epochSeconds(of: date), into: &bytes)
    }

    /// The whole seconds since 1970 of a date, rounded down: the precision of every timestamp the sandbox writes.
    static func epochSeconds(of date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// Appends a time given in whole seconds since 1970 in UTC, e.g. `2015-07-30T20:00:00Z`.
    static func write(epochSeconds: Int64, into bytes: inout [UInt8]) {
        let seconds = Int(epochSeconds)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let era = (days + 719_468).floorDivided(by: 146_097)
        let dayOfEra = days + 719_468 - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        bytes.append(contentsOf: String(year).utf8)
        appendTwoDigits(month, after: "-", to: &bytes)
        appendTwoDigits(day, after: "-", to: &bytes)
        appendTwoDigits(secondOfDay / 3_600, after: "T", to: &bytes)
        appendTwoDigits(secondOfDay / 60 % 60, after: ":", to: &bytes)
        appendTwoDigits(secondOfDay % 60, after: ":", to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Reads `yyyy-MM-dd'T'HH:mm:ss'Z'` (exactly that shape, a real calendar date) as seconds since 1970 in UTC.
    ///
    /// - Parameter text: e.g. `2026-12-02T10:00:00Z`.
    /// - Returns: the seconds, or `nil` when the text has another shape or names no real date and time.
    static func epochSeconds(parsing text: some StringProtocol) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: "Z")
        else { return nil }
        /// The number written in `bytes[range]`, or `nil` when a character is not a digit.
        func number(_ range: Range<Int>) -> Int? {
            bytes[range].reduce(0) { value, byte in
                guard let value, NumberRules.isDigit(byte) else { return nil }
                return value * 10 + Int(byte - UInt8(ascii: "0"))
            }
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...daysInMonth(month, year: year)).contains(day), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear.floorDivided(by: 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days * 86_400 + hour * 3_600 + minute * 60 + second)
    }

    /// The number of days of a month in the proleptic Gregorian calendar.
    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Appends a separator and a zero-padded number below 100.
    private static func appendTwoDigits(_ value: Int, after separator: Unicode.Scalar, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: separator))
        bytes.append(UInt8(ascii: "0") + UInt8(value / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

extension Int {
    /// Division rounding toward negative infinity (dates before 1970 have negative day numbers).
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
