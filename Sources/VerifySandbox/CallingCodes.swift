/// Splits an international number into calling code and national number.
///
/// E.164 calling codes are prefix-free: a small table of the assigned one- and two-digit ITU codes is enough,
/// and every other code has three digits.
enum CallingCodes {
    /// The one-digit calling codes: North America (NANP) and Russia/Kazakhstan.
    static let oneDigit: Set<Substring> = ["1", "7"]

    /// The assigned two-digit calling codes.
    static let twoDigit: Set<Substring> = [
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
        "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
        "86", "90", "91", "92", "93", "94", "95", "98",
    ]

    /// Splits the digits of an E.164 number (without the `+`).
    ///
    /// - Parameter digits: e.g. `12025550189`.
    /// - Returns: `("1", "2025550189")`; `nil` when the digits are too few to hold a calling code and at least one
    ///   national digit, or when they are not all digits.
    static func split(_ digits: Substring) -> (countryCode: Substring, national: Substring)? {
        guard digits.utf8.allSatisfy(NumberRules.isDigit) else { return nil }
        let length: Int
        if oneDigit.contains(digits.prefix(1)) {
            length = 1
        } else if twoDigit.contains(digits.prefix(2)) {
            length = 2
        } else {
            length = 3
        }
        guard digits.count > length else { return nil }
        let boundary = digits.index(digits.startIndex, offsetBy: length)
        return (digits[..<boundary], digits[boundary...])
    }
}
