import Foundation
import Testing

@testable import VerifyRunner

/// `--send-window` as a table: its parsing, and the decision for numbers of one to sixteen zones at fixed instants
/// around the US (2026-03-08, 2026-11-01) and EU (2026-03-29, 2026-10-25) clock changes, windows that wrap
/// midnight, local times skipped or repeated by a change. Expected instants were found independently, minute by
/// minute, with Python's zoneinfo.
@Suite struct SendWindowTests {
    /// Seconds since 1970 of `2026-03-08T13:00:00Z`.
    private static func instant(_ text: String) -> Double {
        Timestamp.seconds(fromISO8601: text) ?? .nan
    }

    /// `decision` as text: `open`, `never`, or the instant it opens.
    private static func text(_ decision: SendWindow.Decision) -> String {
        switch decision {
        case .open: "open"
        case .never: "never"
        case .opensAt(let seconds): Timestamp.iso8601WholeSeconds(seconds)
        }
    }

    @Test(arguments: [
        ("09:00-20:00", 540, 1200, false),
        ("21:00-07:00", 1260, 420, true),
        ("00:00-23:59", 0, 1439, false),
        ("20:00-00:00", 1200, 0, true),
    ])
    func aWindowIsRead(text: String, start: Int, end: Int, wraps: Bool) throws {
        let window = try SendWindow(parsing: text)
        #expect(window.start == start)
        #expect(window.end == end)
        #expect(window.wrapsMidnight == wraps)
        #expect(window.description == text)
    }

    @Test(arguments: [
        ("25:00-07:00", SendWindowError.hourOutOfRange("25:00-07:00", hour: 25)),
        ("09:00-24:00", .hourOutOfRange("09:00-24:00", hour: 24)),
        ("09:60-20:00", .minuteOutOfRange("09:60-20:00", minute: 60)),
        ("09:00-20:75", .minuteOutOfRange("09:00-20:75", minute: 75)),
        ("09:00-09:00", .empty("09:00-09:00")),
        ("9-17", .notHHMM("9-17")),
        ("9:00-17:00", .notHHMM("9:00-17:00")),
        ("09:00 20:00", .notHHMM("09:00 20:00")),
        ("09:00-20:00 ", .notHHMM("09:00-20:00 ")),
        ("0900-2000", .notHHMM("0900-2000")),
        ("09.00-20.00", .notHHMM("09.00-20.00")),
        ("+9:00-20:00", .notHHMM("+9:00-20:00")),
        ("", .notHHMM("")),
    ])
    func aBadWindowIsRefusedNamingTheValue(text: String, error: SendWindowError) {
        #expect(throws: error) { try SendWindow(parsing: text) }
        #expect(error.description.contains("'\(text)'"))
    }

    @Test func theRefusalsSayWhatIsWrong() {
        #expect(
            SendWindowError.notHHMM("9-17").description
                == "--send-window '9-17' is not HH:MM-HH:MM (24-hour, two digits each, e.g. 09:00-20:00)")
        #expect(SendWindowError.hourOutOfRange("25:00-07:00", hour: 25).description.contains("25 is not an hour"))
        #expect(SendWindowError.empty("09:00-09:00").description.contains("is empty"))
    }

    @Test(arguments: [
        // +1 202, one zone (America/New_York); 2026-03-08 springs forward at 07:00Z.
        ("09:00-20:00", "+12025550189", "2026-03-08T13:59:00Z", "open"),
        ("09:00-20:00", "+12025550189", "2026-03-08T12:30:00Z", "2026-03-08T13:00:00Z"),
        ("21:00-07:00", "+12025550189", "2026-03-08T06:30:00Z", "open"),
        ("21:00-07:00", "+12025550189", "2026-03-08T11:00:00Z", "2026-03-09T01:00:00Z"),
        // 02:30 does not happen that day: the first moment inside is 03:00 EDT.
        ("02:30-03:30", "+12025550189", "2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z"),
        // 2026-11-01 falls back at 06:00Z: 01:30-02:00 comes twice.
        ("01:30-02:00", "+12025550189", "2026-11-01T05:45:00Z", "open"),
        ("01:30-02:00", "+12025550189", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z"),
        // +1 208, two zones (America/Boise, America/Los_Angeles): Los Angeles opens last, Boise closes first.
        ("09:00-20:00", "+12085550189", "2026-11-02T16:30:00Z", "2026-11-02T17:00:00Z"),
        ("09:00-20:00", "+12085550189", "2026-11-01T03:30:00Z", "2026-11-01T17:00:00Z"),
        ("21:00-07:00", "+12085550189", "2026-03-08T14:30:00Z", "2026-03-09T04:00:00Z"),
        // +44 20 (Europe/London): summer time from 2026-03-29 01:00Z, back on 2026-10-25 01:00Z.
        ("09:00-20:00", "+442071234567", "2026-03-29T07:30:00Z", "2026-03-29T08:00:00Z"),
        ("01:15-01:45", "+442071234567", "2026-10-25T00:20:00Z", "open"),
        ("01:15-01:45", "+442071234567", "2026-10-25T00:50:00Z", "2026-10-25T01:15:00Z"),
        // +61 4, Australian mobiles: 8 zones from UTC+6:30 (Cocos) to UTC+11 (Lord Howe, Sydney in summer).
        ("09:00-20:00", "+61412345678", "2026-03-29T12:00:00Z", "2026-03-30T02:30:00Z"),
        ("09:00-20:00", "+61412345678", "2026-10-25T03:00:00Z", "open"),
        ("21:00-07:00", "+61412345678", "2026-10-25T03:00:00Z", "2026-10-25T14:30:00Z"),
        // +7 9, Russian mobiles: 16 zones from Europe/Bucharest to Asia/Kamchatka.
        ("09:00-20:00", "+79161234567", "2026-03-29T12:00:00Z", "2026-03-30T06:00:00Z"),
        ("09:00-20:00", "+79161234567", "2026-10-25T07:30:00Z", "open"),
        ("09:00-12:00", "+79161234567", "2026-10-25T07:30:00Z", "never"),
        // A time_zone column instead of the number's zones.
        ("09:00-20:00", "America/Chicago", "2026-11-01T14:30:00Z", "2026-11-01T15:00:00Z"),
        ("21:00-07:00", "Europe/Berlin", "2026-03-29T00:59:00Z", "open"),
        ("21:00-07:00", "Europe/Berlin", "2026-03-29T05:00:00Z", "2026-03-29T19:00:00Z"),
    ])
    func theDecisionAtAnInstant(window: String, recipient: String, now: String, expected: String) throws {
        let zones =
            recipient.hasPrefix("+")
            ? NumberTimeZones.shared.timeZones(forE164: recipient) : [try #require(TimeZone(identifier: recipient))]
        let decision = try SendWindow(parsing: window).decision(in: zones, at: Self.instant(now))
        #expect(Self.text(decision) == expected)
    }

    @Test func noZonesIsNever() throws {
        #expect(
            try SendWindow(parsing: "09:00-20:00").decision(in: [], at: Self.instant("2026-03-08T12:00:00Z")) == .never)
    }

    @Test(arguments: [
        // The fall-back night in New York: 01:15-01:45 local happens twice, an hour apart.
        (
            "01:15-01:45", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z",
            [
                ("2026-11-01T05:15:00Z", "2026-11-01T05:45:00Z"), ("2026-11-01T06:15:00Z", "2026-11-01T06:45:00Z"),
            ]
        ),
        // The spring-forward night in Paris: 02:00-03:00 local never happens; 01:30-03:30 is 01:30-02:00 and
        // 03:00-03:30 with no gap between them.
        ("02:00-03:00", "Europe/Paris", "2026-03-28T23:00:00Z", "2026-03-29T12:00:00Z", []),
        (
            "01:30-03:30", "Europe/Paris", "2026-03-28T23:00:00Z", "2026-03-29T12:00:00Z",
            [
                ("2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z")
            ]
        ),
    ])
    func theOpenStretchesFollowTheClockChanges(
        window: String, zone: String, from: String, to: String, stretches: [(String, String)]
    ) throws {
        let found = try SendWindow(parsing: window).openStretches(
            in: try #require(TimeZone(identifier: zone)), from: Self.instant(from), to: Self.instant(to))
        #expect(found == stretches.map { Self.instant($0.0)..<Self.instant($0.1) })
    }

    @Test(arguments: [
        (["America/Boise", "America/Los_Angeles"], "in all of America/Boise, America/Los_Angeles in the next"),
        (
            ["Asia/Almaty", "Asia/Anadyr", "Asia/Aqtobe", "Europe/Samara"],
            "in all of Asia/Almaty … Europe/Samara (4 zones)"
        ),
    ])
    func theNeverMessageNamesTheZonesAndSuggestsATimeZoneColumn(zones: [String], naming: String) throws {
        let message = try SendWindow(parsing: "09:00-12:00").neverOpenMessage(zoneNames: zones)
        #expect(message.hasPrefix("no moment of --send-window 09:00-12:00 is inside it"))
        #expect(message.contains(naming))
        #expect(message.hasSuffix("give the row a time_zone column (an IANA name, e.g. America/Chicago)"))
    }
}
