import Foundation
import Testing

@testable import VerifyRunner

/// A row's `time_zone` column must name a zone the tz database knows; an empty one leaves the number's zones.
@Suite struct RecipientZonesTests {
    @Test(arguments: ["Mars/Base", "America/Chicag", "9-17"])
    func aColumnThatNamesNoZoneIsTheRowsError(column: String) {
        #expect(RecipientZones.problem(timeZoneColumn: column) == RecipientZones.UnknownTimeZone(value: column))
        #expect(
            RecipientZones.UnknownTimeZone(value: "Mars/Base").description
                == "time_zone 'Mars/Base' is not a time zone name (IANA, e.g. America/Chicago)")
    }

    @Test(arguments: ["America/Chicago", "Europe/Berlin", ""])
    func aKnownZoneOrNoneIsFine(column: String) {
        #expect(RecipientZones.problem(timeZoneColumn: column) == nil)
    }
}
