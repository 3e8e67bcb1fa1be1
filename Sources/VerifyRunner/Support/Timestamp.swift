import Glibc

/// Wall-clock time stamps as verifyd writes them: ISO 8601 in UTC with milliseconds.
public enum Timestamp {
    /// Seconds since 1970, from the real-time clock.
    public static func nowSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The current time, e.g. `2026-11-26T14:52:01.123Z`.
    public static func now() -> String { iso8601(nowSeconds()) }

    /// Formats seconds since 1970 as ISO 8601 UTC with milliseconds.
    public static func iso8601(_ seconds: Double) -> String {
        var whole = time_t(seconds.rounded(.down))
        let millis = Int((seconds - Double(whole)) * 1000)
        var parts = tm()
        gmtime_r(&whole, &parts)
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(millis, width: 3))Z"
    }

    /// Formats seconds since 1970 as ISO 8601 UTC in whole seconds (rounded down), e.g.
    /// `2026-11-26T14:52:01Z`: the form Twilio's date filters take.
    public static func iso8601WholeSeconds(_ seconds: Double) -> String {
        let text = iso8601(seconds.rounded(.down))
        return String(text.prefix(19)) + "Z"
    }

    /// Seconds since 1970 of a stamp written by ``iso8601(_:)`` (`2026-11-26T14:52:01.123Z`) or in whole
    /// seconds (`2026-11-26T14:52:01Z`, as Twilio writes dates), or `nil`.
    public static func seconds(fromISO8601 text: String) -> Double? {
        let digits = Array(text.utf8)
        let hasMillis = digits.count == 24 && digits[19] == 0x2E
        guard hasMillis || digits.count == 20, digits[4] == 0x2D, digits[10] == 0x54, digits.last == 0x5A
        else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in digits[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let millis = hasMillis ? number(20..<23) : 0
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Double(timegm(&parts)) + Double(millis) / 1000
    }

    /// A compact UTC stamp for ids, e.g. `20261126-145201`.
    public static func compact(_ seconds: Double) -> String {
        var whole = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&whole, &parts)
        return "\(parts.tm_year + 1900)\(pad(parts.tm_mon + 1))\(pad(parts.tm_mday))-"
            + "\(pad(parts.tm_hour))\(pad(parts.tm_min))\(pad(parts.tm_sec))"
    }

    private static func pad(_ value: some BinaryInteger, width: Int = 2) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
