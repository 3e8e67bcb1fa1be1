/// The columns verifyd interprets; all others are carried through to the report.
///
/// A header names one when, trimmed, lowercased and with spaces, hyphens and dots turned into
/// underscores, it is the column's name or one of its aliases (README.md lists them), so exports from
/// spreadsheets and CRMs (`Phone Number`, `MSISDN`, `Country-Code`) need no renaming. Ambiguous names
/// such as `number` or `code` are deliberately not aliases: a customer's `code` column must never turn
/// a start into a check.
public enum KnownColumn: Int, CaseIterable, Sendable {
    case phoneNumber, countryCode, via, locale, verificationCode, timeZone

    /// The column's name as docs/contract.md, "Job files", writes it.
    public var name: String {
        switch self {
        case .phoneNumber: "phone_number"
        case .countryCode: "country_code"
        case .via: "via"
        case .locale: "locale"
        case .verificationCode: "verification_code"
        case .timeZone: "time_zone"
        }
    }

    /// The other header names accepted for the column, in their canonical form.
    public var aliases: [String] {
        switch self {
        case .phoneNumber:
            [
                "phone", "phonenumber", "phone_no", "mobile", "mobile_number", "mobile_phone", "cell", "cell_phone",
                "msisdn", "telephone", "tel",
            ]
        case .countryCode: ["countrycode", "calling_code", "country_calling_code", "dial_code", "dialing_code"]
        case .via: ["channel"]
        case .locale: ["language", "lang"]
        case .verificationCode: ["verificationcode", "otp", "otp_code"]
        case .timeZone: ["timezone", "tz"]
        }
    }

    /// The column a header names, or `nil` for a column to carry through.
    public init?(header: String) {
        let key = Self.canonical(header)
        guard let column = Self.allCases.first(where: { $0.name == key || $0.aliases.contains(key) }) else {
            return nil
        }
        self = column
    }

    /// `header` trimmed, lowercased, with runs of spaces, hyphens and dots as one underscore.
    static func canonical(_ header: String) -> String {
        var key = ""
        var pendingSeparator = false
        for character in header.trimmingWhitespace().lowercased() {
            if character == " " || character == "-" || character == "." || character == "_" {
                pendingSeparator = !key.isEmpty
            } else {
                if pendingSeparator { key.append("_") }
                pendingSeparator = false
                key.append(character)
            }
        }
        return key
    }
}
