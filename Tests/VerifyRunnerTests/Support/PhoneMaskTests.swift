import Testing
import VerifyRunner

/// Logs hide the subscriber part of a number.
@Suite struct PhoneMaskTests {
    @Test(arguments: [
        ("+12025550189", "+1202*****89"), ("+447911123456", "+4479******56"), ("+4930123", "+493****"),
        ("+1", "+*"), ("", ""),
    ])
    func numbersAreMaskedKeepingTheirStartAndEnd(e164: String, masked: String) {
        #expect(PhoneMask.masked(e164) == masked)
    }

    @Test(arguments: [
        ("No pending verifications for +1 202-555-0103 found.", "No pending verifications for +1 202-***-**03 found."),
        ("Invalid parameter: To 4479111234567", "Invalid parameter: To 4479*******67"),
        ("error 60023 for 12345", "error 60023 for 12345"),  // codes and short numbers stay
        ("error at 2026-11-27", "error at 2026-**-27"),  // a date looks like a number: better too much
        ("(202) 555-0189, then stop", "(202) 5**-**89, then stop"),
        ("", ""),
    ])
    func numbersInAPIMessagesAreMasked(message: String, masked: String) {
        #expect(PhoneMask.maskedNumbers(in: message) == masked)
    }
}
