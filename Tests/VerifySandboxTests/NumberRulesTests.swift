import Foundation
import Testing

@testable import VerifySandbox

@Suite struct NumberRulesTests {
    @Test(arguments: [
        ("2025550189", NumberKind.mobile),
        ("123456", .mobile),
        ("12345678901234", .mobile),
        ("2025550000", .landline),
        ("000000", .landline),
        ("2025559999", .notProvisioned),
        ("99999999", .notProvisioned),
        ("12345", .invalid),
        ("123456789012345", .invalid),
        ("", .invalid),
        ("20255a0189", .invalid),
        ("99990000", .landline),
    ])
    func classifiesNationalNumbers(digits: String, expected: NumberKind) {
        #expect(NumberRules.classify(nationalDigits: digits) == expected)
    }

    @Test(arguments: [
        ("(202) 555-0189", "2025550189"),
        ("202.555.0189", "2025550189"),
        ("202 555 0189", "2025550189"),
        ("0866742932", "866742932"),
        ("2025550189", "2025550189"),
    ])
    func reducesFreeFormNumbersToDigits(text: String, expected: String) {
        #expect(NumberRules.nationalDigits(fromFreeFormat: text) == expected)
    }

    @Test(arguments: ["+1 202 555 0189", "202-555-CALL", "", "0", "--"])
    func refusesFreeFormNumbersWithOtherCharacters(text: String) {
        #expect(NumberRules.nationalDigits(fromFreeFormat: text) == nil)
    }

    @Test(arguments: [
        ("12025550189", "1", "2025550189"),
        ("79161234567", "7", "9161234567"),
        ("447911123456", "44", "7911123456"),
        ("84866742932", "84", "866742932"),
        ("3725123456", "372", "5123456"),
        ("35312345678", "353", "12345678"),
    ])
    func splitsCallingCodes(digits: String, countryCode: String, national: String) throws {
        let split = try #require(CallingCodes.split(Substring(digits)))
        #expect(split.countryCode == Substring(countryCode))
        #expect(split.national == Substring(national))
    }

    @Test func everyAssignedCallingCodeSplitsOffAndNamesItsMainRegion() throws {
        #expect(CallingCodes.assigned.count == Set(CallingCodes.assigned.map(\.code)).count)
        for (code, region) in CallingCodes.assigned {
            let split = try #require(CallingCodes.split(Substring("\(code)5550189")))
            #expect(split.countryCode == Substring(String(code)))
            #expect(split.national == "5550189")
            #expect(CallingCodes.mainRegion(ofCallingCode: String(code)) == region)
        }
        #expect(CallingCodes.mainRegion(ofE164: "+12025550189") == "US")
        #expect(CallingCodes.mainRegion(ofE164: "+447911123456") == "GB")
        #expect(CallingCodes.mainRegion(ofE164: "+79161234567") == "RU")
        #expect(CallingCodes.mainRegion(ofE164: "+80012345678") == "001")
    }

    @Test(arguments: ["999", "210", "2", "0", "1234", "", "x"])
    func unassignedCallingCodesHaveNoRegion(code: String) {
        #expect(CallingCodes.mainRegion(ofCallingCode: code) == nil)
    }

    @Test(arguments: ["1", "44", "372", "1a2025550189", ""])
    func refusesToSplitWhatIsNotANumber(digits: String) {
        #expect(CallingCodes.split(Substring(digits)) == nil)
    }

    @Test func codesAreDeterministicDigitsOfTheRequestedLength() {
        for length in 4...10 {
            let code = VerificationCode.code(for: "+447911123456", length: length)
            #expect(code.count == length)
            #expect(code.utf8.allSatisfy(NumberRules.isDigit))
            #expect(code == VerificationCode.code(for: "+447911123456", length: length))
        }
    }

    @Test func codesArePinnedSoHandWrittenChecksKeepWorking() {
        #expect(VerificationCode.code(for: "+12025550189", length: 6) == "744400")
        #expect(VerificationCode.code(for: "+12025550189", length: 4) == "4400")
        #expect(
            VerificationCode.code(for: "+12025550189", length: 6)
                != VerificationCode.code(for: "+12025550188", length: 6))
    }

    @Test(arguments: [
        ("2025550189", "1", "+1 202-555-0189"),
        ("866742932", "84", "+84 86-674-2932"),
        ("123456", "44", "+44 12-3456"),
    ])
    func displaysNumbersLikeV1Messages(national: String, countryCode: String, expected: String) throws {
        let number = try #require(V1Number(countryCode: countryCode, phoneNumber: national))
        #expect(number.display == expected)
    }

    @Test(arguments: [
        (1_438_286_400.0, "2015-07-30T20:00:00Z"),
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (4_107_542_399.5, "2100-02-28T23:59:59Z"),
    ])
    func formatsAndReadsTimestampsLikeTwilio(seconds: Double, expected: String) {
        #expect(ISO8601Timestamp.string(from: .init(timeIntervalSince1970: seconds)) == expected)
        #expect(ISO8601Timestamp.epochSeconds(parsing: expected) == Int64(seconds.rounded(.down)))
    }

    @Test(arguments: [
        "2015-07-30", "2015-07-30T20:00:00", "2015-07-30T20:00:00.000Z", "2015-07-30 20:00:00Z", "2015-00-30T20:00:00Z",
        "2015-02-29T20:00:00Z", "2015-04-31T20:00:00Z", "2015-07-30T24:00:00Z", "2015-07-30T20:60:00Z",
        "2015-07-30T20:00:60Z", "2O15-07-30T20:00:00Z", "",
    ])
    func refusesTimestampsOfAnotherShape(text: String) {
        #expect(ISO8601Timestamp.epochSeconds(parsing: text) == nil)
    }
}
