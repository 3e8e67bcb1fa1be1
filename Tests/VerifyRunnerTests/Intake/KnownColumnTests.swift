import Testing
import VerifyRunner

/// Header names as spreadsheets and CRMs write them map to the columns verifyd interprets.
@Suite struct KnownColumnTests {
    @Test(arguments: [
        ("phone_number", KnownColumn.phoneNumber), ("Phone Number", .phoneNumber), (" PHONE-NUMBER ", .phoneNumber),
        ("phone", .phoneNumber), ("Mobile", .phoneNumber), ("MSISDN", .phoneNumber), ("Phone  No.", .phoneNumber),
        ("tel", .phoneNumber), ("Country Code", .countryCode), ("country_code", .countryCode),
        ("Dial Code", .countryCode), ("Channel", .via), ("VIA", .via), ("Language", .locale),
        ("verification code", .verificationCode), ("OTP", .verificationCode),
    ])
    func aliasesAndSpellingsNameTheirColumn(header: String, column: KnownColumn) {
        #expect(KnownColumn(header: header) == column)
    }

    /// Ambiguous names are carried through: a customer's `code` must never turn a start into a check.
    @Test(arguments: ["code", "number", "country", "name", "customer_id", "", "phone_number_2"])
    func otherNamesAreCarriedThrough(header: String) {
        #expect(KnownColumn(header: header) == nil)
    }
}
