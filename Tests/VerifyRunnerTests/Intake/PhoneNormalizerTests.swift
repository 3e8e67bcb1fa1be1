import Testing
import VerifyRunner

@Suite struct PhoneNormalizerTests {
    /// One row of the normalization table: a `phone_number` / `country_code` pair and what it must become.
    struct Case: Sendable, CustomTestStringConvertible {
        /// What the normalizer must return.
        enum Expected: Sendable {
            /// Success with this E.164 form and this `isKnownValid`.
            case e164(String, knownValid: Bool = true)
            /// Failure with this error.
            case error(NormalizationError)
        }

        var phoneNumber: String
        var countryCode: String?
        var expected: Expected

        init(_ phoneNumber: String, _ countryCode: String?, _ expected: Expected) {
            self.phoneNumber = phoneNumber
            self.countryCode = countryCode
            self.expected = expected
        }

        var testDescription: String { "\"\(phoneNumber)\" cc \(countryCode.map { "\"\($0)\"" } ?? "nil")" }
    }

    static let cases: [Case] = [
        // A doubled trunk prefix (found by the fuzz test): refused, not sent as a number that is no number.
        Case("+44 (0) 0471685669", nil, .error(.trunkPrefixAfterCountryCode(44))),
        Case("+4900080431029", nil, .error(.trunkPrefixAfterCountryCode(49))),
        Case("+39 06 6982 0000", nil, .e164("+390669820000")),
        // US national formats (docs/contract.md, "Job files") and the sandbox's landline / not-provisioned
        // endings ("Sandbox number rules").
        Case("202-555-0189", "1", .e164("+12025550189")),
        Case("(202) 555 0189", "1", .e164("+12025550189")),
        Case("  202.555.0189\t", " +1 ", .e164("+12025550189")),
        Case("202/555-0189", "1", .e164("+12025550189")),
        Case("1 202 555 0189", "1", .e164("+12025550189")),
        Case("202 555 0000", "1", .e164("+12025550000")),
        Case("+12025550000", nil, .e164("+12025550000")),
        Case("+12025559999", nil, .e164("+12025559999")),
        Case("+12025550100", nil, .e164("+12025550100")),
        // International, with and without an agreeing country_code.
        Case("+1 202 555 0189", nil, .e164("+12025550189")),
        Case("+1 (202) 555-0189", "", .e164("+12025550189")),
        Case("+1 202 555 0189", "+1", .e164("+12025550189")),
        Case("07911 123456", "44", .e164("+447911123456")),
        Case("+44 7911 123456", nil, .e164("+447911123456")),
        Case("0044 7911 123456", nil, .e164("+447911123456")),
        Case("0044 7911 123456", "44", .e164("+447911123456")),
        Case("00 44 7911 123456", nil, .e164("+447911123456")),
        Case("+49 30 123456", nil, .e164("+4930123456")),
        Case("030 123456", "49", .e164("+4930123456")),
        Case("+800 1234 5678", nil, .e164("+80012345678")),
        Case("1234 5678", "800", .e164("+80012345678")),
        // Trunk prefixes, carrier codes and transform rules (the shim's fast path replays libphonenumber's parsing).
        Case("011 15 2345 6789", "54", .e164("+5491123456789")),
        Case("+54 11 15 2345 6789", nil, .e164("+5491123456789")),
        Case("0 21 11 91234 5678", "55", .e164("+5511912345678")),
        Case("06 1234 5678", "39", .e164("+390612345678")),
        Case("44 7911 123456", "44", .e164("+447911123456")),
        Case("+44 07911 123456", nil, .e164("+447911123456")),
        Case("+1 1 202 555 0189", nil, .e164("+12025550189")),
        Case("8 (912) 345-67-89", "7", .e164("+79123456789")),
        Case("0800 123 4567", "44", .e164("+448001234567")),
        Case("+262 269 61 23 45", nil, .e164("+262269612345")),
        Case("/-. 202 555 0189 .-/", "1", .e164("+12025550189")),
        Case("15 2345 6789", "54", .e164("+541523456789", knownValid: false)),
        Case("2345 6789", "54", .error(.localNumberOnly(region: "AR"))),
        Case("011 0 202 555 0189", "1", .error(.tooLong(region: "US"))),
        Case("12", "1", .error(.tooShort(region: "US"))),
        // Possible length, but unknown to the 8.12.57 metadata: kept, flagged.
        Case("+44 7700 900123", nil, .e164("+447700900123", knownValid: false)),
        Case("+1 555 555 5555", nil, .e164("+15555555555", knownValid: false)),
        // Missing, bad or contradicting country codes.
        Case("", "1", .error(.emptyPhoneNumber)),
        Case("   ", nil, .error(.emptyPhoneNumber)),
        Case("202-555-0189", nil, .error(.missingCountryCode)),
        Case("202-555-0189", "  ", .error(.missingCountryCode)),
        Case("202-555-0189", "abc", .error(.malformedCountryCode("abc"))),
        Case("202-555-0189", "1234", .error(.malformedCountryCode("1234"))),
        Case("12345678", "999", .error(.unknownCountryCode(999))),
        Case("+999 123456", nil, .error(.unknownCountryCodeInNumber(leadingDigits: "999"))),
        Case("00 (99) 9-123", nil, .error(.unknownCountryCodeInNumber(leadingDigits: "999"))),
        // Valid by Germany's plan (its numbers are up to 15 digits after +49), but longer than E.164's 15.
        Case("+49 30 123456789012", nil, .error(.longerThanE164(digits: 16))),
        Case("030 1234567890123", "49", .error(.longerThanE164(digits: 17))),
        Case("+49 30 12345678901", nil, .e164("+493012345678901")),
        Case("+1 202 555 0189", "44", .error(.countryCodeMismatch(given: 44, inNumber: 1))),
        Case("0044 7911 123456", "1", .error(.countryCodeMismatch(given: 1, inNumber: 44))),
        Case("011 44 7911 123456", "1", .error(.countryCodeMismatch(given: 1, inNumber: 44))),
        // Characters libphonenumber would convert or drop.
        Case("1-800-FLOWERS", "1", .error(.containsLetters)),
        Case("+1 202 ABC 0189", nil, .error(.containsLetters)),
        Case("2.02555E+09", "1", .error(.scientificNotation)),
        Case("2,02555e9", "1", .error(.scientificNotation)),
        Case("2E+09", "1", .error(.scientificNotation)),
        Case("202 555 0189 x123", "1", .error(.extensionNotSupported)),
        Case("202-555-0189 ext. 12", "1", .error(.extensionNotSupported)),
        Case("+1 202 555 0189;ext=12", nil, .error(.extensionNotSupported)),
        Case("202#555#0189", "1", .error(.unexpectedCharacter("#"))),
        Case("+1 202 +555 0189", nil, .error(.unexpectedCharacter("+"))),
        Case("202_555_0189", "1", .error(.unexpectedCharacter("_"))),
        // Lengths.
        Case("()", "1", .error(.notANumber)),
        Case("+", nil, .error(.notANumber)),
        Case("+1 202 555", nil, .error(.tooShort(region: "US"))),
        Case("+441", nil, .error(.tooShort(region: nil))),
        Case("+1 202 555 01899", nil, .error(.tooLong(region: "US"))),
        Case("07911 1234567", "44", .error(.tooLong(region: "GB"))),
        Case("+44 7911 1234567", nil, .error(.tooLong(region: "GB"))),
        Case("+1 2025550189 2025550189", nil, .error(.tooLong(region: nil))),
        Case("+41 25 5555 5555", nil, .error(.invalidLength(region: "CH"))),
        Case("555 0189", "1", .error(.localNumberOnly(region: "US"))),
    ]

    @Test(arguments: cases)
    func normalizesOrRejects(_ testCase: Case) {
        let result = PhoneNormalizer().normalize(phoneNumber: testCase.phoneNumber, countryCode: testCase.countryCode)
        switch (testCase.expected, result) {
        case (.e164(let e164, let knownValid), .success(let phone)):
            #expect(phone.e164 == e164)
            #expect(phone.isKnownValid == knownValid)
            #expect(phone.e164 == "+\(phone.countryCode)\(phone.nationalNumber)")
        case (.error(let expected), .failure(let error)):
            #expect(error == expected)
        default:
            Issue.record("expected \(testCase.expected), got \(result)")
        }
    }

    @Test(arguments: [
        ("+1 202 555 0189", "+12025550189", 1, "2025550189", "US", true),
        ("+44 7911 123456", "+447911123456", 44, "7911123456", "GG", true),  // Guernsey's range of +44 7911
        ("+44 7700 900123", "+447700900123", 44, "7700900123", "GB", false),  // no region: main one of +44
        ("+39 06 1234 5678", "+390612345678", 39, "0612345678", "IT", true),  // Italy keeps its leading 0
        ("+800 1234 5678", "+80012345678", 800, "12345678", "001", true),
        ("+54 9 11 2345 6789", "+5491123456789", 54, "91123456789", "AR", true),
        ("+262 269 61 23 45", "+262269612345", 262, "269612345", "YT", true),  // Mayotte's leading digits
    ])
    func fillsEveryPart(
        phoneNumber: String, e164: String, countryCode: Int, nationalNumber: String, regionCode: String,
        isKnownValid: Bool
    ) throws {
        let phone = try PhoneNormalizer().normalize(phoneNumber: phoneNumber, countryCode: nil).get()
        #expect(phone.e164 == e164)
        #expect(phone.countryCode == countryCode)
        #expect(phone.nationalNumber == nationalNumber)
        #expect(phone.regionCode == regionCode)
        #expect(phone.isKnownValid == isKnownValid)
    }

    @Test(arguments: [
        (NormalizationError.emptyPhoneNumber, "empty phone number"),
        (.missingCountryCode, "missing country_code for a national number"),
        (.countryCodeMismatch(given: 44, inNumber: 1), "country code 44 does not match +1 number"),
        (.unknownCountryCode(999), "unknown country code 999"),
        (
            .unknownCountryCodeInNumber(leadingDigits: "999"),
            "unknown country code in international number starting +999"
        ),
        (.longerThanE164(digits: 16), "not an E.164 number: 16 digits, at most 15 with the country code"),
        (.containsLetters, "contains letters"),
        (.scientificNotation, "looks like a spreadsheet number in scientific notation"),
        (.extensionNotSupported, "extensions are not supported"),
        (.tooShort(region: "US"), "too short for region US"),
        (.tooShort(region: nil), "too short"),
        (.tooLong(region: "GB"), "too long for region GB"),
        (.invalidLength(region: "US"), "invalid length for region US"),
        (.unexpectedCharacter("#"), "contains unexpected character \"#\""),
    ])
    func describesErrors(error: NormalizationError, description: String) {
        #expect(error.description == description)
    }

    @Test func reportsTheMetadataVersion() {
        #expect(PhoneNormalizer.metadataVersion == "8.12.57")
    }

    /// Many tasks normalize the whole table at once; every task must see exactly the single-threaded results.
    @Test func concurrentCallsAgreeWithSequentialOnes() async {
        let inputs = Self.cases.map { ($0.phoneNumber, $0.countryCode) }
        let normalizer = PhoneNormalizer()
        let sequential = inputs.map { normalizer.normalize(phoneNumber: $0, countryCode: $1) }
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    var mismatches = 0
                    for _ in 0..<20 {
                        for (index, input) in inputs.enumerated()
                        where normalizer.normalize(phoneNumber: input.0, countryCode: input.1) != sequential[index] {
                            mismatches += 1
                        }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
