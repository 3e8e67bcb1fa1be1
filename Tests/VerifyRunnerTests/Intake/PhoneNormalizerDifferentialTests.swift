import CPhoneNumber
import Testing

@testable import VerifyRunner

/// Checks that the shim's fast path returns exactly what libphonenumber returns.
///
/// `cphone_normalize` replays libphonenumber's parsing and validation with the library's metadata, its patterns
/// compiled with RE2 instead of the library's ICU. This suite normalizes 65,060 generated numbers both through it and
/// through libphonenumber alone (``PhoneNormalizer/normalizeWithLibraryOnly(phoneNumber:countryCode:)``) and requires
/// equal results: status, E.164, national number, calling code, region and validity. A libphonenumber update or a
/// change to the shim that breaks the replay makes it fail. The inputs are every example number of the library's
/// metadata, mutated with a fixed seed, so a failure reproduces.
@Suite struct PhoneNormalizerDifferentialTests {
    /// One example number of libphonenumber's metadata.
    struct Example {
        var callingCode: Int
        var nationalNumber: String
    }

    /// One generated job row.
    struct Input: CustomStringConvertible {
        var phoneNumber: String
        var countryCode: String?

        var description: String { "\"\(phoneNumber)\" cc \(countryCode.map { "\"\($0)\"" } ?? "nil")" }
    }

    /// Every example number the shim reports (each type of each region, then the non-geographic codes).
    static func exampleNumbers() -> [Example] {
        var examples: [Example] = []
        var code: Int32 = 0
        var national = [CChar](repeating: 0, count: Int(CPHONE_NUMBER_CAPACITY))
        while cphone_example_number(examples.count, &code, &national, national.count) != 0 {
            let text = String(decoding: national.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            examples.append(Example(callingCode: Int(code), nationalNumber: text))
        }
        return examples
    }

    /// `digits` with some digits changed, one removed or added, or replaced by 1 to 16 random digits (or as is).
    static func mutated(_ digits: String, random: inout SplitMix64) -> String {
        var characters = Array(digits)
        switch random.below(8) {
        case 0...3:
            for _ in 0...random.below(3) where !characters.isEmpty {
                characters[random.below(characters.count)] = random.digit()
            }
        case 4 where characters.count > 1:
            characters.remove(at: random.below(characters.count))
        case 5:
            characters.insert(random.digit(), at: random.below(characters.count + 1))
        case 6:
            characters = (0...random.below(16)).map { _ in random.digit() }
        default:
            break
        }
        return String(characters)
    }

    /// `digits` as a national number might be written: after a trunk prefix (`0`, `8`, `1`), the calling code, an
    /// international dialling prefix (`00`, `011`), a random digit, or nothing.
    static func withPrefix(_ digits: String, callingCode: Int, random: inout SplitMix64) -> String {
        let prefixes = ["", "0", "\(callingCode)", "1", String(random.digit()), "00", "011", "8"]
        return prefixes[random.below(prefixes.count)] + digits
    }

    /// `digits` with punctuation (spaces, `-./()`) between some digits and sometimes an opening parenthesis.
    static func punctuated(_ digits: String, random: inout SplitMix64) -> String {
        if random.below(3) == 0 {
            return digits
        }
        let punctuation = [" ", "-", ".", "/", "(", ")", "  "]
        var text = random.below(5) == 0 ? "(" : ""
        for digit in digits {
            text.append(digit)
            if random.below(4) == 0 {
                text += punctuation[random.below(punctuation.count)]
            }
        }
        return text
    }

    /// The rows generated from one example number in one round (round 0 keeps the example's digits).
    static func inputs(
        from example: Example, round: Int, codes: [Int], random: inout SplitMix64
    ) -> [Input] {
        let code = "\(example.callingCode)"
        let digits = round == 0 ? example.nationalNumber : mutated(example.nationalNumber, random: &random)
        let national = withPrefix(digits, callingCode: example.callingCode, random: &random)
        var rows = [Input(phoneNumber: punctuated(national, random: &random), countryCode: code)]
        // International, with no country_code, an agreeing one, or the code of another example.
        let internationalColumns: [String?] = [nil, nil, code, "+" + code, "\(codes[random.below(codes.count)])"]
        let internationalDigits = code + (random.below(4) == 0 ? national : digits)
        rows.append(
            Input(
                phoneNumber: (random.below(4) == 0 ? "00" : "+") + punctuated(internationalDigits, random: &random),
                countryCode: internationalColumns[random.below(internationalColumns.count)]))
        if random.below(4) == 0 {
            // The national number in the wrong country's column, or an arbitrary code (often unassigned).
            let wrong = random.below(2) == 0 ? codes[random.below(codes.count)] : 1 + random.below(999)
            rows.append(Input(phoneNumber: punctuated(national, random: &random), countryCode: "\(wrong)"))
        }
        if random.below(8) == 0 {
            // The national number, prefix included, written as if it started with a calling code.
            rows.append(Input(phoneNumber: "+" + punctuated(national, random: &random), countryCode: nil))
        }
        return rows
    }

    @Test func fastPathMatchesLibphonenumberOnEveryGeneratedNumber() throws {
        let examples = Self.exampleNumbers()
        // 8.12.57 has about 1,400; far fewer means the helper broke and the test would prove little.
        try #require(examples.count > 1000)
        let codes = examples.map(\.callingCode)
        let normalizer = PhoneNormalizer()
        var random = SplitMix64(seed: 0x5EED_F00D_2024_0001)
        var checked = 0
        var validCount = 0
        var mismatchCount = 0
        var firstMismatches: [String] = []
        for round in 0..<20 {
            for example in examples {
                for input in Self.inputs(from: example, round: round, codes: codes, random: &random) {
                    let fast = normalizer.normalize(phoneNumber: input.phoneNumber, countryCode: input.countryCode)
                    let reference = normalizer.normalizeWithLibraryOnly(
                        phoneNumber: input.phoneNumber, countryCode: input.countryCode)
                    checked += 1
                    if case .success(let phone) = reference, phone.isKnownValid {
                        validCount += 1
                    }
                    if fast != reference {
                        mismatchCount += 1
                        if firstMismatches.count < 5 {
                            firstMismatches.append("\(input): fast \(fast), libphonenumber \(reference)")
                        }
                    }
                }
            }
        }
        #expect(
            mismatchCount == 0,
            "\(mismatchCount) of \(checked) differ, first: \(firstMismatches.joined(separator: "; "))")
        // About a quarter of the inputs are valid; far fewer would leave the fast path's success branch unchecked.
        #expect(validCount * 10 > checked, "only \(validCount) of \(checked) valid")
    }
}
