import Foundation
import Testing

@testable import VerifyRunner

/// ``SendWindowGate``: the scheduler's verdict on each start, per recipient, at a given time.
@Suite struct SendWindowGateTests {
    /// Seconds since 1970 of an ISO 8601 time.
    static func at(_ text: String) -> Double { Timestamp.seconds(fromISO8601: text) ?? .nan }

    static func gate(_ window: String, clockOffset: Double = 0) throws -> SendWindowGate {
        SendWindowGate(window: try SendWindow(parsing: window), clockOffset: clockOffset)
    }

    /// A window edge is judged to the second even though decisions are kept for the minute: 08:59:59 in New York
    /// waits for 09:00, and 09:00:00 is open; the next minute's first second is judged afresh.
    @Test func theEdgeOfAWindowIsJudgedAtTheMinuteItFallsOn() throws {
        var gate = try Self.gate("09:00-20:00")
        let newYork = "+12123000010"
        #expect(
            gate.verdict(timeZoneColumn: nil, e164: newYork, at: Self.at("2026-12-07T13:59:59Z"))
                == .opensAt(Self.at("2026-12-07T14:00:00Z")))
        #expect(gate.verdict(timeZoneColumn: nil, e164: newYork, at: Self.at("2026-12-07T14:00:00Z")) == .open)
        #expect(gate.verdict(timeZoneColumn: nil, e164: newYork, at: Self.at("2026-12-07T14:00:59Z")) == .open)
        #expect(
            gate.verdict(timeZoneColumn: nil, e164: newYork, at: Self.at("2026-12-08T01:00:00Z"))
                == .opensAt(Self.at("2026-12-08T14:00:00Z")), "20:00 in New York: closed until the next morning")
    }

    /// The `time_zone` column wins over the number's zones: a New York number whose recipient is in Sydney.
    @Test func theTimeZoneColumnOverridesTheNumber() throws {
        var gate = try Self.gate("09:00-20:00")
        let instant = Self.at("2026-12-07T15:00:00Z")
        #expect(gate.verdict(timeZoneColumn: nil, e164: "+12123000010", at: instant) == .open)
        #expect(
            gate.verdict(timeZoneColumn: "Australia/Sydney", e164: "+12123000010", at: instant)
                == .opensAt(Self.at("2026-12-07T22:00:00Z")))
    }

    /// A number that maps to no zone, and a number whose zones never share a moment of the window, end skipped
    /// with a message that says why and suggests the `time_zone` column.
    @Test func aRecipientWhoseWindowNeverOpensIsTold() throws {
        var gate = try Self.gate("09:00-10:00")
        let instant = Self.at("2026-12-07T15:00:00Z")
        #expect(
            gate.verdict(timeZoneColumn: nil, e164: "+80012345678", at: instant) == .never(RecipientZones.noZoneMessage)
        )
        // +1 800 is every zone of the calling code, Guam to Hawaii: no hour is inside in all of them.
        guard case .never(let message) = gate.verdict(timeZoneColumn: nil, e164: "+18005551000", at: instant) else {
            Issue.record("a one-hour window over twenty hours of zones never opens")
            return
        }
        #expect(message.contains("no moment of --send-window 09:00-10:00") && message.contains("time_zone column"))
    }

    /// The test clock offset shifts the time the window is judged at, and the opening comes back on the real clock.
    @Test func aClockOffsetShiftsTheJudgedTimeButNotTheAnswer() throws {
        let offset = 86_400.0 * 3 + 1_234
        var shifted = try Self.gate("09:00-20:00", clockOffset: offset)
        var plain = try Self.gate("09:00-20:00")
        let real = Self.at("2026-12-04T13:00:00Z")
        guard case .opensAt(let opening) = plain.verdict(timeZoneColumn: nil, e164: "+12123000010", at: real + offset)
        else {
            Issue.record("08:00 in New York is outside the window")
            return
        }
        #expect(shifted.verdict(timeZoneColumn: nil, e164: "+12123000010", at: real) == .opensAt(opening - offset))
    }
}
