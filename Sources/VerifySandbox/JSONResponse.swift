import Foundation

/// Builds ``SandboxResponse`` values from `Encodable` bodies, for the rare answers whose shape is open-ended
/// (the stats); the API answers are written by hand with ``JSONWriter``.
enum JSONResponse {
    /// Encodes a body into a response, keys spelled as declared.
    ///
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - body: the value to encode.
    /// - Returns: the response.
    /// - Throws: `EncodingError` if the value cannot be encoded.
    static func make(status: Int, _ body: some Encodable) throws -> SandboxResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return SandboxResponse(status: status, body: Array(try encoder.encode(body)))
    }
}

/// Formats timestamps the way Twilio's examples show them: `2015-07-30T20:00:00Z`.
enum ISO8601Timestamp {
    /// Formats a date in UTC with whole seconds.
    static func string(from date: Date) -> String {
        var bytes: [UInt8] = []
        write(date, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a date in UTC with whole seconds, e.g. `2015-07-30T20:00:00Z` (20 bytes).
    ///
    /// Computed arithmetically (Howard Hinnant's `civil_from_days`), which is far cheaper per request than a
    /// date formatter.
    static func write(_ date: Date, into bytes: inout [UInt8]) {
        let seconds = Int((date.timeIntervalSince1970).rounded(.down))
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
