public import Foundation

/// `--send-window HH:MM-HH:MM`: the recipient's local hours in which a start (SMS or call) may leave.
///
/// A pure value: ``decision(in:at:)`` reads the time it is given and the system's tz database (through
/// `TimeZone`), so daylight saving time is the database's. Inside means start ≤ local time < end; a window whose end
/// is before its start wraps midnight (`21:00-07:00`: local time ≥ 21:00 or < 07:00), and `HH:MM-00:00` runs to
/// midnight. A number in several zones may be sent to only while the window holds in every one of them.
public struct SendWindow: Sendable, Equatable, CustomStringConvertible {
    /// Minutes after local midnight at which the window opens, `0..<1440`.
    public let start: Int
    /// Minutes after local midnight at which the window closes, `0..<1440`, never equal to ``start``.
    public let end: Int

    /// How far ahead ``decision(in:at:)`` looks for an opening: 8 days, more than a week of any zone's days.
    public static let horizon: Double = 8 * secondsPerDay

    /// Seconds in a day of local time.
    private static let secondsPerDay: Double = 86_400

    /// Whether the window goes over midnight (its end is before its start).
    public var wrapsMidnight: Bool { end < start }

    /// `09:00-20:00`.
    public var description: String { Self.clockText(start) + "-" + Self.clockText(end) }

    /// Whether a start may leave now, for a number in some time zones.
    public enum Decision: Sendable, Equatable {
        /// The window holds now in every zone.
        case open
        /// It does not; the first instant it holds in every zone, seconds since 1970.
        case opensAt(Double)
        /// It holds in all the zones at no moment of the next ``SendWindow/horizon`` (or there are no zones).
        case never
    }

    /// Reads `HH:MM-HH:MM` (24-hour, two digits each), e.g. `09:00-20:00` or `21:00-07:00`.
    public init(parsing text: String) throws(SendWindowError) {
        let bytes = Array(text.utf8)
        guard bytes.count == 11, bytes[2] == UInt8(ascii: ":"), bytes[5] == UInt8(ascii: "-"),
            bytes[8] == UInt8(ascii: ":"), let startHour = Self.twoDigits(bytes, at: 0),
            let startMinute = Self.twoDigits(bytes, at: 3), let endHour = Self.twoDigits(bytes, at: 6),
            let endMinute = Self.twoDigits(bytes, at: 9)
        else { throw .notHHMM(text) }
        for hour in [startHour, endHour] where hour > 23 { throw .hourOutOfRange(text, hour: hour) }
        for minute in [startMinute, endMinute] where minute > 59 { throw .minuteOutOfRange(text, minute: minute) }
        start = startHour * 60 + startMinute
        end = endHour * 60 + endMinute
        guard start != end else { throw .empty(text) }
    }

    /// Whether a start may leave at `now` (seconds since 1970) for a number in `zones`: ``Decision/open`` when the
    /// local time of every zone is inside the window; else the first instant of the next ``horizon`` at which it
    /// is in all of them, or ``Decision/never``. No zones is ``Decision/never``: nothing to judge the window by.
    ///
    /// The open case reads each zone's offset once; the others find each zone's open stretches of the horizon
    /// between its offset changes (``openStretches(in:from:to:)``) and intersect them.
    public func decision(in zones: [TimeZone], at now: Double) -> Decision {
        guard !zones.isEmpty else { return .never }
        if zones.allSatisfy({ isInside(localSecondOfDay: Self.localSecondOfDay(at: now, in: $0)) }) { return .open }
        var common = openStretches(in: zones[0], from: now, to: now + Self.horizon)
        for zone in zones.dropFirst() where !common.isEmpty {
            common = Self.intersection(common, openStretches(in: zone, from: now, to: now + Self.horizon))
        }
        guard let first = common.first else { return .never }
        return first.lowerBound <= now ? .open : .opensAt(first.lowerBound)
    }

    /// The row's message when ``decision(in:at:)`` is ``Decision/never``: which zones, and what to do.
    ///
    /// Up to three zones are named; more are shown as the first and the last with their count.
    public func neverOpenMessage(zoneNames: [String]) -> String {
        let named =
            zoneNames.count <= 3
            ? zoneNames.joined(separator: ", ")
            : "\(zoneNames[0]) … \(zoneNames[zoneNames.count - 1]) (\(zoneNames.count) zones)"
        return "no moment of --send-window \(self) is inside it in all of \(named) in the next 8 days; "
            + "give the row a time_zone column (an IANA name, e.g. America/Chicago)"
    }

    /// The instants of `from..<to` at which the window holds in `zone`, in order, touching stretches joined.
    ///
    /// Between two offset changes of the zone (daylight saving time or a new standard offset) the local time is
    /// the instant plus a fixed offset, so each local day's window maps to one stretch of instants. A local time
    /// skipped by a change (02:30 on a spring-forward day) never happens; one repeated (01:30 on a fall-back day)
    /// is inside twice.
    func openStretches(in zone: TimeZone, from: Double, to: Double) -> [Range<Double>] {
        var stretches: [Range<Double>] = []
        var segmentStart = from
        while segmentStart < to {
            let date = Date(timeIntervalSince1970: segmentStart)
            let offset = Double(zone.secondsFromGMT(for: date))
            let change = zone.nextDaylightSavingTimeTransition(after: date)?.timeIntervalSince1970 ?? to
            let segmentEnd = change > segmentStart ? min(change, to) : to
            let firstDay = ((segmentStart + offset) / Self.secondsPerDay).rounded(.down) - 1
            let lastDay = ((segmentEnd + offset) / Self.secondsPerDay).rounded(.down)
            for day in stride(from: firstDay, through: lastDay, by: 1) {
                let opens = day * Self.secondsPerDay + Double(start * 60) - offset
                let closes =
                    day * Self.secondsPerDay + Double(end * 60) + (wrapsMidnight ? Self.secondsPerDay : 0) - offset
                let lower = max(opens, segmentStart)
                let upper = min(closes, segmentEnd)
                guard lower < upper else { continue }
                if let last = stretches.last, last.upperBound >= lower {
                    stretches[stretches.count - 1] = last.lowerBound..<max(last.upperBound, upper)
                } else {
                    stretches.append(lower..<upper)
                }
            }
            segmentStart = segmentEnd
        }
        return stretches
    }

    /// Whether a local time, in seconds after midnight, is inside the window.
    private func isInside(localSecondOfDay second: Double) -> Bool {
        let opens = Double(start * 60)
        let closes = Double(end * 60)
        return wrapsMidnight ? second >= opens || second < closes : second >= opens && second < closes
    }

    /// The local time of `zone` at `instant`, in seconds after its midnight.
    private static func localSecondOfDay(at instant: Double, in zone: TimeZone) -> Double {
        let local = instant + Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: instant)))
        let second = local.truncatingRemainder(dividingBy: secondsPerDay)
        return second < 0 ? second + secondsPerDay : second
    }

    /// The instants in both `first` and `second`, each ordered and without overlaps.
    private static func intersection(_ first: [Range<Double>], _ second: [Range<Double>]) -> [Range<Double>] {
        var common: [Range<Double>] = []
        var (i, j) = (0, 0)
        while i < first.count, j < second.count {
            let lower = max(first[i].lowerBound, second[j].lowerBound)
            let upper = min(first[i].upperBound, second[j].upperBound)
            if lower < upper { common.append(lower..<upper) }
            if first[i].upperBound < second[j].upperBound { i += 1 } else { j += 1 }
        }
        return common
    }

    /// The number of the two ASCII digits at `offset`, or `nil`.
    private static func twoDigits(_ bytes: [UInt8], at offset: Int) -> Int? {
        let digits = bytes[offset...offset + 1]
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// `minutes` after midnight as `HH:MM`.
    private static func clockText(_ minutes: Int) -> String {
        let (hour, minute) = minutes.quotientAndRemainder(dividingBy: 60)
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }
}

/// Why a `--send-window` value was refused; `description` names the value and what is wrong with it.
public enum SendWindowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not `HH:MM-HH:MM` with two digits each.
    case notHHMM(String)
    /// An hour above 23.
    case hourOutOfRange(String, hour: Int)
    /// A minute above 59.
    case minuteOutOfRange(String, minute: Int)
    /// Start and end are the same time: no moment is inside.
    case empty(String)

    /// The reason, for the command line.
    public var description: String {
        switch self {
        case .notHHMM(let text):
            "--send-window '\(text.printable)' is not HH:MM-HH:MM (24-hour, two digits each, e.g. 09:00-20:00)"
        case .hourOutOfRange(let text, let hour):
            "--send-window '\(text)': \(hour) is not an hour (00 to 23)"
        case .minuteOutOfRange(let text, let minute):
            "--send-window '\(text)': \(minute) is not a minute (00 to 59)"
        case .empty(let text):
            "--send-window '\(text)' is empty: it starts and ends at the same time (use e.g. 09:00-20:00)"
        }
    }
}
