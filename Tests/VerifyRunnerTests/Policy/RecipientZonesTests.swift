import Foundation
import Testing

@testable import VerifyRunner

/// A row's zones: its `time_zone` column when not empty (a name the tz database knows, else the row's error),
/// else its number's.
@Suite struct RecipientZonesTests {
    @Test(
        arguments: [
            ("America/Chicago", "+12025550189", ["America/Chicago"]),
            (" Europe/Berlin ", "+12025550189", ["Europe/Berlin"]),
            ("", "+12085550189", ["America/Boise", "America/Los_Angeles"]),
            ("  ", "+442071234567", ["Europe/London"]),
            (nil, "+12025550189", ["America/New_York"]),
            (nil, "+999123456", []),
        ] as [(String?, String, [String])])
    func theColumnWinsOverTheNumber(column: String?, e164: String, zones: [String]) throws {
        let resolved = try RecipientZones.resolve(timeZoneColumn: column, e164: e164).get()
        #expect(resolved.map(\.identifier) == zones)
    }

    @Test(arguments: ["Mars/Base", "America/Chicag", "9-17"])
    func aColumnThatNamesNoZoneIsTheRowsError(column: String) {
        let resolved = RecipientZones.resolve(timeZoneColumn: column, e164: "+12025550189")
        #expect(throws: RecipientZones.UnknownTimeZone(value: column)) { try resolved.get() }
        #expect(
            RecipientZones.UnknownTimeZone(value: "Mars/Base").description
                == "time_zone 'Mars/Base' is not a time zone name (IANA, e.g. America/Chicago)")
    }
}
