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
}
