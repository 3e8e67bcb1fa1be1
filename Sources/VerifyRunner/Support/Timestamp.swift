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
