import Testing

@testable import VerifyRunner

/// Command-line durations and the store's time stamps.
@Suite struct DurationTextTests {
    @Test(arguments: [
        ("90s", Duration.seconds(90)), ("10m", .seconds(600)), ("24h", .seconds(86_400)), ("30d", .seconds(2_592_000)),
        ("0s", .zero),
    ])
    func parsesWholeNumbersWithAUnit(text: String, duration: Duration) {
        #expect(DurationText.parse(text) == duration)
    }

    @Test(arguments: ["", "10", "m", "1.5m", "-1s", "10 m", "10M", "10w", "99999999999999999d"])
    func refusesAnythingElse(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func timeStampsRoundTrip() {
        let seconds = 1_795_713_494.5
        #expect(Timestamp.iso8601(seconds) == "2026-11-26T17:18:14.500Z")
        #expect(Timestamp.seconds(fromISO8601: Timestamp.iso8601(seconds)) == seconds)
        #expect(Timestamp.seconds(fromISO8601: "2026-11-26T14:52:01.123") == nil)
        #expect(Timestamp.seconds(fromISO8601: "not a time at all, no.") == nil)
    }

    @Test func twilioStampsAreWholeSeconds() {
        #expect(Timestamp.iso8601WholeSeconds(1_795_713_494.9) == "2026-11-26T17:18:14Z")
        #expect(Timestamp.seconds(fromISO8601: "2026-11-26T17:18:14Z") == 1_795_713_494)
        #expect(Timestamp.seconds(fromISO8601: "2026-11-26T17:18:14") == nil)
    }
}
