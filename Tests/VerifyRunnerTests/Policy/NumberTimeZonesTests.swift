import Foundation
import Testing

@testable import VerifyRunner

/// The number → zones table against the examples of docs/time-zones.md: the longest prefix wins, non-geographic
/// numbers (most mobiles, toll-free) get their calling code's zones, and unknown codes get none.
@Suite struct NumberTimeZonesTests {
    @Test(arguments: [
        ("+12025550189", ["America/New_York"]),
        ("+13125550189", ["America/Chicago"]),
        ("+12085550189", ["America/Boise", "America/Los_Angeles"]),
        ("+442071234567", ["Europe/London"]),
        ("12025550189", ["America/New_York"]),
        (
            "+61412345678",
            [
                "Australia/Adelaide", "Australia/Brisbane", "Australia/Eucla", "Australia/Lord_Howe", "Australia/Perth",
                "Australia/Sydney", "Indian/Christmas", "Indian/Cocos",
            ]
        ),
        (
            "+79161234567",
            [
                "Asia/Almaty", "Asia/Anadyr", "Asia/Aqtobe", "Asia/Irkutsk", "Asia/Kamchatka", "Asia/Krasnoyarsk",
                "Asia/Magadan", "Asia/Novosibirsk", "Asia/Omsk", "Asia/Sakhalin", "Asia/Vladivostok", "Asia/Yakutsk",
                "Asia/Yekaterinburg", "Europe/Bucharest", "Europe/Moscow", "Europe/Samara",
            ]
        ),
        ("+74951234567", ["Europe/Moscow"]),
        ("+33612345678", ["Europe/Paris"]),
        ("+999123456", []),
        ("", []),
    ])
    func aNumberGetsTheZonesOfItsLongestPrefix(e164: String, zones: [String]) {
        #expect(NumberTimeZones.shared.zones(forE164: e164) == zones)
        #expect(NumberTimeZones.shared.timeZones(forE164: e164).map(\.identifier) == zones)
    }

    @Test func aTollFreeNumberGetsEveryZoneOfItsCallingCode() {
        let nanpa = NumberTimeZones.shared.zones(forE164: "+1")
        #expect(nanpa.count == 42)
        #expect(NumberTimeZones.shared.zones(forE164: "+18005550100") == nanpa)
    }

    @Test func aPrefixWithoutZonesAndAnUnknownCodeGiveNone() {
        let table = NumberTimeZones(table: "Europe/Paris\n\n0 -\n\n33|0 339|1")
        #expect(table.zones(forE164: "+33123456789") == ["Europe/Paris"])
        #expect(table.zones(forE164: "+33912345678") == [])
        #expect(table.zones(forE164: "+44123") == [])
    }

    @Test func everyZoneOfTheTableIsKnownToTheSystem() {
        let table = NumberTimeZoneData.text.split(separator: "\n\n")[0].split(whereSeparator: \.isWhitespace)
        #expect(table.count == 285)
        #expect(table.filter { TimeZone(identifier: String($0)) == nil } == [])
    }
}
