import Foundation

/// Builds ``SandboxResponse`` values from `Encodable` bodies.
enum JSONResponse {
    /// How property names map to JSON keys.
    enum KeyStyle {
        /// `secondsToExpire` → `seconds_to_expire`, as both APIs spell their fields.
        case snakeCase
        /// Names unchanged, as ``SandboxStats`` spells them.
        case asDeclared
    }

    /// Encodes a body into a response.
    ///
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - body: the value to encode.
    ///   - keys: how to spell the keys.
    /// - Returns: the response.
    /// - Throws: `EncodingError` if the value cannot be encoded.
    static func make(status: Int, _ body: some Encodable, keys: KeyStyle = .snakeCase) throws -> SandboxResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        if case .snakeCase = keys { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return SandboxResponse(status: status, body: Array(try encoder.encode(body)))
    }
}

/// Formats timestamps the way Twilio's examples show them: `2015-07-30T20:00:00Z`.
enum ISO8601Timestamp {
    /// Formats a date in UTC with whole seconds.
    ///
    /// Computed arithmetically (Howard Hinnant's `civil_from_days`), which is far cheaper per request than a
    /// date formatter.
    static func string(from date: Date) -> String {
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
        return "\(year)-\(pad(month))-\(pad(day))T\(pad(secondOfDay / 3_600))"
            + ":\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60))Z"
    }

    /// Two-digit, zero-padded text of a small number.
    private static func pad(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}

extension Int {
    /// Division rounding toward negative infinity (dates before 1970 have negative day numbers).
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// Random identifiers in Twilio's style: a two-letter prefix and 32 lowercase hex digits.
enum TwilioSid {
    /// Makes a new random sid, e.g. `make("VE")`.
    static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + hex(generator.next()) + hex(generator.next())
    }

    /// 16 lowercase hex digits.
    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
