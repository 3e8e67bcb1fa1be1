/// What the sandbox does with a national number (SPEC.md §6).
///
/// The class depends only on the national significant number, never on the country.
enum NumberKind: Equatable, Sendable {
    /// Everything that matches no other rule: SMS and voice are both accepted.
    case mobile
    /// Ends in `0000`: SMS is refused, a voice call is accepted.
    case landline
    /// Ends in `9999`: refused for every channel.
    case notProvisioned
    /// Fewer than 6 or more than 14 digits, or not only digits.
    case invalid
}

/// The sandbox's number rules, as pure functions.
///
/// | national number                  | kind              |
/// |----------------------------------|-------------------|
/// | fewer than 6 or more than 14 digits | invalid        |
/// | ends in `0000`                   | landline          |
/// | ends in `9999`                   | not provisioned   |
/// | anything else                    | mobile            |
enum NumberRules {
    /// The fewest digits a valid national number has.
    static let minimumDigits = 6
    /// The most digits a valid national number has.
    static let maximumDigits = 14

    /// Classifies a national number given as digits only.
    ///
    /// - Parameter nationalDigits: the national significant number, without calling code or trunk prefix.
    /// - Returns: the kind of number; `.invalid` when the length is out of range or a character is not a digit.
    static func classify(nationalDigits: some StringProtocol) -> NumberKind {
        let count = nationalDigits.utf8.count
        guard (minimumDigits...maximumDigits).contains(count), nationalDigits.utf8.allSatisfy(isDigit) else {
            return .invalid
        }
        if nationalDigits.hasSuffix("0000") { return .landline }
        if nationalDigits.hasSuffix("9999") { return .notProvisioned }
        return .mobile
    }

    /// Reduces a free-format national number (V1 `phone_number`) to its digits.
    ///
    /// Dashes, spaces, dots and parentheses are dropped, as the V1 API documents; one leading national trunk `0`
    /// is stripped (`0866742932` → `866742932`).
    ///
    /// - Parameter phoneNumber: the number as the client sent it, e.g. `(202) 555-0189`.
    /// - Returns: the digits, or `nil` when the text holds any other character or no digit at all.
    static func nationalDigits(fromFreeFormat phoneNumber: String) -> String? {
        var digits = ""
        digits.reserveCapacity(phoneNumber.utf8.count)
        for scalar in phoneNumber.unicodeScalars {
            switch scalar {
            case "0"..."9": digits.unicodeScalars.append(scalar)
            case "-", " ", ".", "(", ")": continue
            default: return nil
            }
        }
        if digits.hasPrefix("0") { digits.removeFirst() }
        return digits.isEmpty ? nil : digits
    }

    /// Whether a byte is an ASCII digit.
    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
