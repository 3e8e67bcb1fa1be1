/// What the sandbox does with a national number (docs/contract.md, "Sandbox number rules").
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
        if nationalDigits.utf8.suffix(4).allSatisfy({ $0 == UInt8(ascii: "0") }) { return .landline }
        if nationalDigits.utf8.suffix(4).allSatisfy({ $0 == UInt8(ascii: "9") }) { return .notProvisioned }
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
        var isFreeFormat = true
        let digits = String(unsafeUninitializedCapacity: phoneNumber.utf8.count) { buffer in
            var count = 0
            var isFirstDigit = true
            for byte in phoneNumber.utf8 {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let isTrunkPrefix = isFirstDigit && byte == UInt8(ascii: "0")
                    isFirstDigit = false
                    if !isTrunkPrefix {
                        buffer[count] = byte
                        count += 1
                    }
                case UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"):
                    continue
                default:
                    isFreeFormat = false
                    return 0
                }
            }
            return count
        }
        guard isFreeFormat else { return nil }
        return digits.isEmpty ? nil : digits
    }

    /// Whether a byte is an ASCII digit.
    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
