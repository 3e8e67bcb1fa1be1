import CPhoneNumber

/// A phone number in E.164, with the parts each provider needs.
///
/// `authy-v1` sends ``countryCode`` and ``nationalNumber`` separately; `verify-v2` sends ``e164``.
public struct NormalizedPhone: Sendable, Equatable, Hashable {
    /// The number in E.164 form, e.g. `"+12025550189"`.
    public var e164: String
    /// The country calling code, e.g. `1`.
    public var countryCode: Int
    /// The national significant number, digits only and without trunk prefix, e.g. `"2025550189"`.
    public var nationalNumber: String
    /// The CLDR region the number belongs to, e.g. `"US"`, or `"001"` for non-geographic calling codes (800, 882…).
    ///
    /// For a number that matches no region's patterns (``isKnownValid`` is `false`), the main region of its
    /// calling code. Several regions share some calling codes: `+44 7911 123456` is `"GG"` (Guernsey).
    public var regionCode: String
    /// Whether libphonenumber's metadata knows the number as valid.
    ///
    /// `false` when libphonenumber's metadata (8.12.57, older than today's number plan) does not know the number
    /// as valid but its length is possible for the country: such numbers are NOT discarded. Number ranges are
    /// opened every month, and a row rejected here could never be verified, while the verification API (which
    /// knows the current plan) rejects a truly invalid number for the cost of one request. The API is the final
    /// judge; the flag is kept for the report.
    public var isKnownValid: Bool
}

/// Why a phone number could not be normalized; `description` is a short, specific reason for the report.
public enum NormalizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The phone number is empty or white space only.
    case emptyPhoneNumber
    /// The `country_code` value is not 1 to 3 digits with an optional leading `+`.
    case malformedCountryCode(String)
    /// The calling code (from the `country_code` column) is not assigned.
    case unknownCountryCode(Int)
    /// The international number starts with no assigned calling code: its first digits (up to 3, the longest
    /// calling code), as read.
    case unknownCountryCodeInNumber(leadingDigits: String)
    /// A national number (no `+` or `00`) came without a `country_code`.
    case missingCountryCode
    /// The `country_code` column and the calling code in the number differ.
    case countryCodeMismatch(given: Int, inNumber: Int)
    /// The number contains letters: vanity numbers (`1-800-FLOWERS`) are never converted to digits.
    case containsLetters
    /// The number looks like `2.02555E+09`: a spreadsheet turned it into a float and its digits are lost.
    case scientificNotation
    /// The number has an extension (`x123`, `ext. 12`), which an SMS or a voice call cannot reach.
    case extensionNotSupported
    /// A character outside digits, spaces, `-`, `.`, `(`, `)`, `/` and a leading `+`.
    case unexpectedCharacter(Character)
    /// Punctuation without a phone number in it.
    case notANumber
    /// Shorter than every number of the region (`nil` when not even the calling code could be read).
    case tooShort(region: String?)
    /// Longer than every number of the region (`nil`: longer than any phone number, 17 digits).
    case tooLong(region: String?)
    /// A number the region's plan allows, but longer than the 15 digits E.164 allows (calling code included):
    /// no API takes it. The digit count.
    case longerThanE164(digits: Int)
    /// Between the region's shortest and longest lengths, but not a length its numbers have.
    case invalidLength(region: String)
    /// Only a local number, missing its area code.
    case localNumberOnly(region: String)
    /// A trunk prefix `0` left after the calling code (`+44 (0) 0471…`, a doubled `0`): not a known
    /// number, and read again it would be another one.
    case trunkPrefixAfterCountryCode(Int)
    /// libphonenumber failed in an unexpected way (the raw `cphone_status`).
    case libraryFailure(status: Int)

    /// The reason as the report states it.
    public var description: String {
        switch self {
        case .emptyPhoneNumber: "empty phone number"
        case .malformedCountryCode(let value): "invalid country_code \"\(value)\" (expected 1 to 3 digits)"
        case .unknownCountryCode(let code): "unknown country code \(code)"
        case .unknownCountryCodeInNumber(let digits): "unknown country code in international number starting +\(digits)"
        case .missingCountryCode: "missing country_code for a national number"
        case .countryCodeMismatch(let given, let inNumber): "country code \(given) does not match +\(inNumber) number"
        case .containsLetters: "contains letters"
        case .scientificNotation: "looks like a spreadsheet number in scientific notation"
        case .extensionNotSupported: "extensions are not supported"
        case .unexpectedCharacter(let character): "contains unexpected character \"\(character)\""
        case .notANumber: "not a phone number"
        case .tooShort(let region): "too short" + Self.forRegion(region)
        case .tooLong(let region): "too long" + Self.forRegion(region)
        case .longerThanE164(let digits): "not an E.164 number: \(digits) digits, at most 15 with the country code"
        case .invalidLength(let region): "invalid length" + Self.forRegion(region)
        case .localNumberOnly(let region): "local number without area code" + Self.forRegion(region)
        case .trunkPrefixAfterCountryCode(let code): "a trunk prefix 0 after the country code (+\(code) 0…): drop the 0"
        case .libraryFailure(let status): "libphonenumber failed (status \(status))"
        }
    }

    /// `" for region US"`, or nothing when the region is unknown.
    private static func forRegion(_ region: String?) -> String {
        region.map { " for region \($0)" } ?? ""
    }
}

/// Normalizes raw phone numbers to E.164 with Google's libphonenumber.
///
/// A number starting with `+` or `00` is international; its calling code must agree with `countryCode` when both
/// are given. Any other number is national and needs `countryCode`; it is read in the main region of that calling
/// code, so trunk prefixes go (`07911 123456` with `44` → `+447911123456`). Only digits, spaces, `-`, `.`, `(`,
/// `)`, `/` and a leading `+` are accepted: letters, extensions and spreadsheet floats are rejected before
/// libphonenumber sees them, because its parser would silently convert or drop them.
///
/// ```swift
/// let phone = try PhoneNormalizer().normalize(phoneNumber: "(202) 555 0189", countryCode: "1").get()
/// // phone.e164 == "+12025550189"
/// ```
///
/// Thread safety: the type holds no state, and libphonenumber's shared `PhoneNumberUtil` is safe to use from any
/// number of threads, so `normalize` may run concurrently. It does not block: it is CPU work of a few µs for
/// ordinary numbers (the shim's fast path), up to about 50 µs for numbers that need libphonenumber's own parser.
public struct PhoneNormalizer: Sendable {
    /// Creates a normalizer; libphonenumber loads its metadata on first use.
    public init() {}

    /// Whether `region` (e.g. `"US"`) is one of the regions libphonenumber gives numbers (ISO 3166-1 alpha-2 codes,
    /// and a few more such as `"XK"`); `"001"`, non-geographic, is not.
    public static func isKnownRegion(_ region: String) -> Bool {
        cphone_is_supported_region(region) != 0
    }

    /// The region libphonenumber gives an E.164 number (`US`, `001` for a non-geographic one), or `nil` when it
    /// cannot read the number: the report's `region` column and what `--countries` judges.
    public func region(ofE164 e164: String) -> String? {
        guard case .success(let phone) = normalize(phoneNumber: e164, countryCode: nil) else { return nil }
        return phone.regionCode
    }

    /// The libphonenumber release whose metadata decides validity (e.g. `"8.12.57"`), for reports.
    public static var metadataVersion: String {
        String(cString: cphone_metadata_version())
    }

    /// Normalizes one job row's phone number.
    ///
    /// - Parameters:
    ///   - phoneNumber: The `phone_number` column; surrounding white space is ignored.
    ///   - countryCode: The `country_code` column: digits with an optional leading `+`, surrounding white space
    ///     ignored; `nil` or empty means none.
    /// - Returns: The E.164 number (possibly with ``NormalizedPhone/isKnownValid`` `false`), or why there is none.
    public func normalize(phoneNumber: String, countryCode: String?) -> Result<NormalizedPhone, NormalizationError> {
        normalize(phoneNumber: phoneNumber, countryCode: countryCode, libraryOnly: false)
    }

    /// ``normalize(phoneNumber:countryCode:)`` without the shim's fast path: libphonenumber parses every number.
    ///
    /// Exists for the differential test, which checks that both return the same result for every input.
    func normalizeWithLibraryOnly(
        phoneNumber: String, countryCode: String?
    ) -> Result<NormalizedPhone, NormalizationError> {
        normalize(phoneNumber: phoneNumber, countryCode: countryCode, libraryOnly: true)
    }

    /// The body of ``normalize(phoneNumber:countryCode:)``; `libraryOnly` calls `cphone_normalize_reference`.
    private func normalize(
        phoneNumber: String, countryCode: String?, libraryOnly: Bool
    ) -> Result<NormalizedPhone, NormalizationError> {
        let number = phoneNumber.trimmingWhitespace()
        if number.isEmpty {
            return .failure(.emptyPhoneNumber)
        }
        if let error = Self.characterError(in: number) {
            return .failure(error)
        }
        let givenCode: Int?
        switch Self.parseCountryCode(countryCode) {
        case .success(let code): givenCode = code
        case .failure(let error): return .failure(error)
        }
        let international: String? =
            if number.hasPrefix("+") {
                number
            } else if number.hasPrefix("00") {
                "+" + number.dropFirst(2)
            } else {
                nil
            }
        let output: LibraryOutput
        if let international {
            output = LibraryOutput(number: international, callingCode: 0, libraryOnly: libraryOnly)
            if output.status == CPHONE_UNKNOWN_CALLING_CODE {
                return .failure(.unknownCountryCodeInNumber(leadingDigits: Self.callingCodeDigits(of: international)))
            }
        } else if let givenCode {
            output = LibraryOutput(number: number, callingCode: givenCode, libraryOnly: libraryOnly)
        } else {
            return .failure(.missingCountryCode)
        }
        if let givenCode, output.countryCode != 0, output.countryCode != givenCode {
            return .failure(.countryCodeMismatch(given: givenCode, inNumber: output.countryCode))
        }
        return output.result
    }

    /// The digits a calling code is read from: the first 3 digits of an international number, punctuation
    /// skipped.
    private static func callingCodeDigits(of international: String) -> String {
        String(international.lazy.filter(\.isASCIIDigit).prefix(3))
    }

    /// Returns why `number` has a character that is not allowed in a phone number, if it has one.
    ///
    /// Allowed are digits, spaces, `-`, `.`, `(`, `)`, `/` and a leading `+`. The most specific reason wins:
    /// scientific notation, then an extension, then letters, then the first other character.
    private static func characterError(in number: String) -> NormalizationError? {
        if hasOnlyAllowedASCII(number) {
            return nil
        }
        let unexpected = number.enumerated().first { offset, character in
            if character.isASCIIDigit || " -.()/".contains(character) {
                return false
            }
            return character != "+" || offset != 0
        }
        guard let unexpected else {
            return nil
        }
        if looksLikeScientificNotation(number) {
            return .scientificNotation
        }
        if hasExtension(number) {
            return .extensionNotSupported
        }
        if number.contains(where: \.isLetter) {
            return .containsLetters
        }
        return .unexpectedCharacter(unexpected.element)
    }

    /// Whether every UTF-8 byte of `number` is an allowed ASCII character: digits, ` -.()/`, and `+` first.
    ///
    /// The fast check for ``characterError(in:)``: when it holds, each byte is a `Character` of its own (only
    /// `"\r\n"` joins two ASCII bytes), so the `Character` scan would find nothing either; when it fails, the scan
    /// runs and decides.
    private static func hasOnlyAllowedASCII(_ number: String) -> Bool {
        var offset = 0
        for byte in number.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "/"):
                break
            case UInt8(ascii: "+") where offset == 0:
                break
            default:
                return false
            }
            offset += 1
        }
        return true
    }

    /// Whether `number` is a float as a spreadsheet writes it: `2.02555E+09`, `2,02555e9`, `2E+09`.
    private static func looksLikeScientificNotation(_ number: String) -> Bool {
        guard let marker = number.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return false
        }
        let mantissa = number[..<marker].split(
            maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: { $0 == "." || $0 == "," })
        var exponent = number[number.index(after: marker)...]
        if exponent.first == "+" || exponent.first == "-" {
            exponent = exponent.dropFirst()
        }
        return (mantissa + [exponent]).allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }

    /// Whether `number` has an extension marker (`x`, `ext`, `extn`, `extension`, as in `x123`, `ext. 12`,
    /// `;ext=12`) after some digits.
    private static func hasExtension(_ number: String) -> Bool {
        let markers: Set<String> = ["x", "ext", "extn", "extension"]
        guard let firstDigit = number.firstIndex(where: \.isASCIIDigit) else {
            return false
        }
        return number[firstDigit...].split(whereSeparator: { !$0.isLetter }).contains {
            markers.contains($0.lowercased())
        }
    }

    /// Parses the `country_code` column: `nil` for none, else 1 to 3 digits naming an assigned calling code.
    private static func parseCountryCode(_ value: String?) -> Result<Int?, NormalizationError> {
        let trimmed = value?.trimmingWhitespace() ?? ""
        if trimmed.isEmpty {
            return .success(nil)
        }
        let digits = trimmed.hasPrefix("+") ? trimmed.dropFirst() : Substring(trimmed)
        guard (1...3).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), let code = Int(digits) else {
            return .failure(.malformedCountryCode(trimmed))
        }
        guard cphone_is_known_calling_code(Int32(code)) != 0 else {
            return .failure(.unknownCountryCode(code))
        }
        return .success(code)
    }
}

/// What `cphone_normalize` returned for one number: the one place that turns its status into Swift values.
private struct LibraryOutput {
    /// The C status.
    var status: cphone_status
    /// The E.164 form ("" unless the status is valid or possible).
    var e164: String
    /// The national significant number ("" unless the status is valid or possible).
    var nationalNumber: String
    /// The calling code of the parsed number; for a parse failure the one passed in (0 for international).
    var countryCode: Int
    /// The region, or "" when unknown.
    var region: String

    /// Calls `cphone_normalize`, or `cphone_normalize_reference` (libphonenumber without the fast path).
    ///
    /// - Parameters:
    ///   - number: An international number starting with `+`, or a national number.
    ///   - callingCode: 0 for an international number, else the calling code of the national number.
    ///   - libraryOnly: Whether to call `cphone_normalize_reference` (for the differential test).
    init(number: String, callingCode: Int, libraryOnly: Bool) {
        let capacity = Int(CPHONE_NUMBER_CAPACITY)
        let regionCapacity = Int(CPHONE_REGION_CAPACITY)
        var code: Int32 = 0
        var status = CPHONE_INTERNAL_ERROR
        var texts = (e164: "", national: "", region: "")
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 2 * capacity + regionCapacity) { buffer in
            guard let base = buffer.baseAddress else {
                return
            }
            let (e164, national, region) = (base, base + capacity, base + 2 * capacity)
            let normalize = libraryOnly ? cphone_normalize_reference : cphone_normalize
            status = normalize(
                number, Int32(callingCode), e164, capacity, national, capacity, &code, region, regionCapacity)
            texts = (Self.text(at: e164), Self.text(at: national), Self.text(at: region))
        }
        self.status = status
        self.e164 = texts.e164
        self.nationalNumber = texts.national
        self.countryCode = Int(code)
        self.region = texts.region
    }

    /// Calling codes whose numbers may start with 0 after the code (Italy, San Marino, Vatican, Côte
    /// d'Ivoire, Gabon, Congo). Elsewhere a 0 there is a trunk prefix the input repeated; libphonenumber
    /// strips one per parse, so a number it does not know as valid is refused rather than sent.
    private static let leadingZeroCountries: Set<Int> = [39, 378, 379, 225, 241, 242]

    /// The longest E.164 number as text: `+` and 15 digits (ITU-T E.164, section 6.1).
    private static let longestE164 = 16

    /// The NUL-terminated UTF-8 text at `pointer`.
    ///
    /// Same result as `String(cString:)` (invalid UTF-8 repaired), but decoding a counted buffer takes the fast
    /// ASCII path, where `String(cString:)` costs several times the whole libphonenumber fast path.
    private static func text(at pointer: UnsafePointer<CChar>) -> String {
        var length = 0
        while pointer[length] != 0 {
            length += 1
        }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// The normalized phone, or the error that the status stands for.
    var result: Result<NormalizedPhone, NormalizationError> {
        let knownRegion = region.isEmpty ? nil : region
        switch status {
        case CPHONE_POSSIBLE where nationalNumber.hasPrefix("0") && !Self.leadingZeroCountries.contains(countryCode):
            return .failure(.trunkPrefixAfterCountryCode(countryCode))
        case CPHONE_VALID, CPHONE_POSSIBLE:
            guard e164.utf8.count <= Self.longestE164 else {
                return .failure(.longerThanE164(digits: e164.utf8.count - 1))
            }
            return .success(
                NormalizedPhone(
                    e164: e164, countryCode: countryCode, nationalNumber: nationalNumber, regionCode: region,
                    isKnownValid: status == CPHONE_VALID))
        case CPHONE_NOT_A_NUMBER: return .failure(.notANumber)
        case CPHONE_UNKNOWN_CALLING_CODE:
            return .failure(.unknownCountryCode(countryCode))
        case CPHONE_TOO_SHORT: return .failure(.tooShort(region: knownRegion))
        case CPHONE_TOO_LONG: return .failure(.tooLong(region: knownRegion))
        case CPHONE_INVALID_LENGTH: return .failure(.invalidLength(region: region))
        case CPHONE_LOCAL_ONLY: return .failure(.localNumberOnly(region: region))
        case CPHONE_HAS_EXTENSION: return .failure(.extensionNotSupported)
        default: return .failure(.libraryFailure(status: Int(status.rawValue)))
        }
    }
}

extension Character {
    /// Whether this is one of the ASCII digits `0`–`9` (not any Unicode number, unlike `isNumber`, and not a digit
    /// with a combining mark).
    fileprivate var isASCIIDigit: Bool {
        asciiValue.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false
    }
}
