import Foundation

/// `--send-window` as the scheduler applies it to each start: it may leave now, it waits for the instant its
/// window opens, or its window never opens (the row ends `skipped`).
///
/// A pure value: the time comes from the caller. Decisions are kept per set of zones until the minute ends: window
/// edges are whole minutes of local time, and every zone's offset and clock changes are whole minutes, so nothing
/// changes inside a minute of UTC. A job's rows share few zone sets, so a row costs a prefix look-up and a
/// dictionary read.
struct SendWindowGate {
    /// What a start may do now.
    enum Verdict: Equatable {
        /// Leave: the window holds in every zone of its recipient.
        case open
        /// Wait until this instant (seconds since 1970), when the window first holds in all of them.
        case opensAt(Double)
        /// The window never holds in all of them (or nothing tells the zone): the row ends `skipped`, this message.
        case never(String)
    }

    /// The window.
    let window: SendWindow
    /// Seconds added to the time the window is judged at: 0, except in tests, which shift the recipients' clocks
    /// to reach a window's edge without waiting for it (`VERIFYD_SEND_WINDOW_CLOCK_OFFSET`, README).
    let clockOffset: Double
    private let table: NumberTimeZones
    /// The minute (since 1970, of the judged time) the decisions below were made in.
    private var minute = -Double.infinity
    /// Decisions by the number of a table zone set.
    private var byZoneSet: [Int32: SendWindow.Decision] = [:]
    /// Decisions by a `time_zone` column's value.
    private var byColumn: [String: SendWindow.Decision] = [:]

    /// A gate for `window`.
    init(window: SendWindow, clockOffset: Double = 0, table: NumberTimeZones = .shared) {
        self.window = window
        self.clockOffset = clockOffset
        self.table = table
    }

    /// The verdict at `now` (seconds since 1970) for a recipient with the row's `time_zone` column (used when not
    /// empty) and number.
    mutating func verdict(timeZoneColumn: String?, e164: String, at now: Double) -> Verdict {
        let judged = now + clockOffset
        let thisMinute = (judged / 60).rounded(.down)
        if thisMinute != minute {
            minute = thisMinute
            byZoneSet.removeAll(keepingCapacity: true)
            byColumn.removeAll(keepingCapacity: true)
        }
        let names: [String]
        let decision: SendWindow.Decision
        if let column = timeZoneColumn, !column.isEmpty {
            names = [column]
            if let known = byColumn[column] {
                decision = known
            } else {
                decision = TimeZone(identifier: column).map { window.decision(in: [$0], at: judged) } ?? .never
                byColumn[column] = decision
            }
        } else if let zoneSet = table.zoneSet(ofE164: e164) {
            names = zoneSet.names
            if let known = byZoneSet[zoneSet.number] {
                decision = known
            } else {
                let complete = zoneSet.timeZones.count == zoneSet.names.count
                decision = complete ? window.decision(in: zoneSet.timeZones, at: judged) : .never
                byZoneSet[zoneSet.number] = decision
            }
        } else {
            return .never(RecipientZones.noZoneMessage)
        }
        switch decision {
        case .open: return .open
        case .opensAt(let instant): return .opensAt(instant - clockOffset)
        case .never:
            return .never(names.isEmpty ? RecipientZones.noZoneMessage : window.neverOpenMessage(zoneNames: names))
        }
    }
}
