/// Durations as the command line takes them (docs/contract.md, "Durations"): a whole number and a unit,
/// `90s`, `10m`, `24h`, `30d`.
public enum DurationText {
    /// The duration `text` names, or `nil` when it is not a whole number followed by s, m, h or d.
    public static func parse(_ text: String) -> Duration? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value >= 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        default: return nil
        }
        let (total, overflow) = value.multipliedReportingOverflow(by: seconds)
        return overflow ? nil : .seconds(total)
    }

    /// Whole seconds for people: `45s`, `3m 20s`, `2h 05m`.
    public static func describe(seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m \(seconds % 60)s" }
        let minutes = seconds % 3600 / 60
        return "\(seconds / 3600)h \(minutes < 10 ? "0" : "")\(minutes)m"
    }
}
