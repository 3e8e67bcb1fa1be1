import Foundation
import Testing
import VerifyRunner

/// Fuzzes the job file readers and the phone normalizer with random and mutated inputs.
///
/// Every test draws thousands of inputs from a ``SplitMix64`` with a fixed seed, so each run is the same and a
/// failure reproduces: its message names the case and the seed that case was drawn from. A reader must refuse an
/// input with a ``JobFileError`` or read it to the end in a bounded number of items: rows aligned with its columns,
/// unreadable lines with a reason, in line order, and the same items whatever its chunk size. The normalizer must
/// return an E.164 number that it accepts again unchanged, or a reason.
@Suite struct ReaderFuzzTests {
    /// The seed of case `index` of a test seeded with `seed`, so that one case can be drawn again on its own.
    static func caseSeed(_ seed: UInt64, index: Int) -> UInt64 {
        seed &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03
    }

    /// Property violations found by one test: how many, and the first few in full.
    struct Violations: CustomStringConvertible {
        /// How many checks failed.
        private(set) var count = 0
        /// The messages of the first failed checks.
        private var examples: [String] = []

        /// Records `message` when `holds` is false; the message is only built for a violation.
        mutating func check(_ holds: Bool, _ message: @autoclosure () -> String) {
            guard !holds else { return }
            count += 1
            if examples.count < 5 {
                examples.append(message())
            }
        }

        var description: String {
            "\(count) violations, first:\n" + examples.joined(separator: "\n")
        }
    }

    // MARK: Readers

    /// The job file format a fuzz case is read as.
    enum Format: CustomStringConvertible {
        case csv
        case jsonl

        /// Opens in-memory `bytes` with this format's reader.
        func open(_ bytes: [UInt8], chunkSize: Int, maxRowBytes: Int) throws(JobFileError) -> any JobFileReader {
            switch self {
            case .csv: return try CSVReader(bytes: bytes, chunkSize: chunkSize, maxRowBytes: maxRowBytes)
            case .jsonl: return try JSONLReader(bytes: bytes, chunkSize: chunkSize, maxRowBytes: maxRowBytes)
            }
        }

        /// The valid files that mutated inputs start from.
        var seeds: [[UInt8]] {
            switch self {
            case .csv: ReaderFuzzTests.csvSeeds.map { Array($0.utf8) }
            case .jsonl: ReaderFuzzTests.jsonlSeeds.map { Array($0.utf8) }
            }
        }

        var description: String {
            switch self {
            case .csv: "CSV"
            case .jsonl: "JSONL"
            }
        }
    }

    /// Valid CSV files: quoted delimiters, quotes and line breaks, CRLF, a BOM, `;` and tab separators, short and
    /// long rows, blank lines, non-ASCII text and no final line feed.
    static let csvSeeds = [
        "phone_number,country_code,name\n"
            + "+12025550189,1,Alice\n"
            + "\"(202) 555-0100\",1,\"Smith, Bob\"\n"
            + "2025550101,1,\"multi\nline \"\"quoted\"\"\"\n"
            + "07911 123456,44,Zoë 😀\n",
        "\u{FEFF}phone_number;country_code;name\r\n"
            + "+447911123456;44;\"a;b\"\r\n"
            + "\r\n"
            + "   \t\r\n"
            + "030 1234567;+49\r\n"
            + "2025550102;1;x;extra;more\r\n"
            + "\"+1 202 555 0103\";1;last",
        "phone_number\tcountry_code\tname\n"
            + "+8613800138000\t86\t\"tab\tinside\"\n"
            + "\"\"\t\t\n"
            + "+33612345678\t33\tÉlodie\n",
    ]

    /// Valid JSONL files: escapes and surrogate pairs, a number, nested values, a repeated key, new keys on later
    /// lines, blank lines, CRLF, a BOM, surrounding white space and no final line feed.
    static let jsonlSeeds = [
        #"{"phone_number":"+12025550189","country_code":"1","name":"Alice"}"# + "\n"
            + #"{"phone_number":"07911 123456","country_code":44,"name":"Bob \"B\" \u00e9 \ud83d\ude00"}"# + "\n"
            + "\n"
            + #"{"name":"Zoë 😀","tags":["a",{"b":null}],"vip":true,"score":-1.5e3}"# + "\r\n",
        "\u{FEFF}" + #"{"phone":"+447911123456"}"# + "\r\n"
            + "  \t\r\n"
            + #"  {"phone":"+33 6 12 34 56 78", "phone":"+33612345678", "empty":"", "nested":{"deep":[[[]]]}}  "#,
    ]

    /// Everything a reader yielded for one input, to compare reads with different chunk sizes.
    enum Outcome: Equatable {
        /// The reader's initializer threw.
        case refused(JobFileError)
        /// The items up to the end (or up to the bound on their number), and the columns at the end.
        case read(items: [InputItem], columns: [String])

        /// Where `other` first differs from this outcome, for a failure message.
        func difference(from other: Outcome) -> String {
            guard case .read(let items, let columns) = self, case .read(let otherItems, let otherColumns) = other
            else {
                return "\(self) vs \(other)"
            }
            let common = min(items.count, otherItems.count)
            if let index = (0..<common).first(where: { items[$0] != otherItems[$0] }) {
                return "item \(index): \(items[index]) vs \(otherItems[index])"
            }
            if items.count != otherItems.count {
                return "\(items.count) items vs \(otherItems.count)"
            }
            return "columns \(columns) vs \(otherColumns)"
        }
    }

    /// One read of one generated input, described in full in failure messages.
    struct ReadCase: CustomStringConvertible {
        /// The case's position in its test.
        var index: Int
        /// The seed the case's input and sizes were drawn from.
        var seed: UInt64
        /// The reader the input is read with.
        var format: Format
        /// The input.
        var bytes: [UInt8]
        /// The reader's `chunkSize`.
        var chunkSize: Int
        /// The reader's `maxRowBytes`.
        var maxRowBytes: Int

        var description: String {
            "case \(index) (seed 0x\(String(seed, radix: 16))), \(format), chunkSize \(chunkSize), maxRowBytes "
                + "\(maxRowBytes), input \(ReaderFuzzTests.preview(bytes))"
        }
    }

    /// Up to the first 120 bytes of `bytes`, quoted: printable ASCII as is, `\n`, `\r`, `\t`, `\\`, `\"`, and
    /// `\xHH` for every other byte.
    static func preview(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes.prefix(120) {
            switch byte {
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\r"): text += "\\r"
            case UInt8(ascii: "\t"): text += "\\t"
            case UInt8(ascii: "\\"): text += "\\\\"
            case UInt8(ascii: "\""): text += "\\\""
            case 0x20..<0x7F: text.append(Character(Unicode.Scalar(byte)))
            default: text += (byte < 0x10 ? "\\x0" : "\\x") + String(byte, radix: 16, uppercase: true)
            }
        }
        text += "\""
        return bytes.count > 120 ? text + "… (\(bytes.count) bytes)" : text
    }

    /// Reads `readCase` to the end, checking every item as it comes.
    ///
    /// Checked: an initializer error has a description; a UTF-16 byte order mark is refused; a CSV reader knows at
    /// least one column; `next()` never throws (the bytes are in memory, so there is no I/O error) and returns
    /// `nil` within `bytes.count + 10` items, and again after that; each row has exactly one value per column
    /// known at that moment; each unreadable line has a reason and leaves the columns unchanged; columns only
    /// grow; lines strictly increase (each item starts on a later physical line) and never exceed the input's
    /// line count.
    static func read(_ readCase: ReadCase, violations: inout Violations) -> Outcome {
        let bytes = readCase.bytes
        let startsWithUTF16Mark = bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF])
        let reader: any JobFileReader
        do throws(JobFileError) {
            reader = try readCase.format.open(
                bytes, chunkSize: readCase.chunkSize, maxRowBytes: readCase.maxRowBytes)
        } catch {
            violations.check(
                !error.description.isEmpty && (error.line ?? 1) >= 1, "\(readCase): refused with \(error)")
            return .refused(error)
        }
        violations.check(!startsWithUTF16Mark, "\(readCase): UTF-16 byte order mark not refused")
        if readCase.format == .csv {
            violations.check(!reader.columns.isEmpty, "\(readCase): CSV header without columns")
        }
        let lineCount = bytes.count(where: { $0 == UInt8(ascii: "\n") }) + 1
        let bound = bytes.count + 10
        var items: [InputItem] = []
        var previousLine = 0
        var columns = reader.columns
        while items.count < bound {
            let next: InputItem?
            do throws(JobFileError) {
                next = try reader.next()
            } catch {
                violations.check(false, "\(readCase): next() threw \(error) after \(items.count) items")
                return .read(items: items, columns: reader.columns)
            }
            guard let item = next else {
                let again = Result<InputItem?, JobFileError> { () throws(JobFileError) in try reader.next() }
                violations.check(again == .success(nil), "\(readCase): \(again) after the end")
                return .read(items: items, columns: reader.columns)
            }
            let line: Int
            switch item {
            case .row(let row):
                line = row.line
                violations.check(
                    row.values.count == reader.columns.count,
                    "\(readCase): item \(items.count) has \(row.values.count) values for columns \(reader.columns)")
            case .unreadable(let unreadableLine, let reason):
                line = unreadableLine
                violations.check(!reason.isEmpty, "\(readCase): item \(items.count) unreadable without a reason")
                violations.check(
                    reader.columns == columns,
                    "\(readCase): unreadable item \(items.count) changed columns \(columns) to \(reader.columns)")
            }
            violations.check(
                line > previousLine && line <= lineCount,
                "\(readCase): item \(items.count) on line \(line) after line \(previousLine) of \(lineCount)")
            violations.check(
                reader.columns.starts(with: columns),
                "\(readCase): columns \(columns) became \(reader.columns) at item \(items.count)")
            previousLine = line
            columns = reader.columns
            items.append(item)
        }
        violations.check(false, "\(readCase): next() still returns items after \(bound) (\(items.suffix(3)))")
        return .read(items: items, columns: reader.columns)
    }

    /// Draws `cases` inputs with `makeInput` and reads each as `format` three ways, checking every read with
    /// ``read(_:violations:)`` and that all three agree.
    ///
    /// `maxRowBytes` is the default for half of the cases and 8 to 200 for the others; the reads use chunks of
    /// 65536 bytes, of 1 byte, and of 1 to 64 bytes, so records straddle chunk boundaries everywhere.
    static func fuzz(
        _ format: Format, seed: UInt64, cases: Int, makeInput: (inout SplitMix64) -> [UInt8]
    ) -> Violations {
        var violations = Violations()
        for index in 0..<cases {
            let caseSeed = caseSeed(seed, index: index)
            var random = SplitMix64(seed: caseSeed)
            let bytes = makeInput(&random)
            let maxRowBytes = random.oneIn(2) ? 65536 : 8 + random.below(193)
            let smallChunk = 1 + random.below(64)
            let whole = ReadCase(
                index: index, seed: caseSeed, format: format, bytes: bytes, chunkSize: 65536, maxRowBytes: maxRowBytes)
            let expected = read(whole, violations: &violations)
            for chunkSize in [1, smallChunk] {
                var chunked = whole
                chunked.chunkSize = chunkSize
                let outcome = read(chunked, violations: &violations)
                violations.check(
                    outcome == expected,
                    "\(chunked): differs from chunkSize 65536: \(outcome.difference(from: expected))")
            }
        }
        return violations
    }

    /// Bytes that mean something to CSV or JSON.
    static let structuralBytes = Array(",;\t\"\n\r{}[]:\\ ".utf8)
    /// Letters, including those of `true`, `false`, `null` and exponents.
    static let letterBytes = Array("aeflnrstuxEAZ_".utf8)
    /// Multi-byte fragments: line and object starts, JSON keys, literals, escapes (some invalid) and numbers,
    /// nesting deeper than the JSON parser allows, CRLF, non-ASCII UTF-8 and a byte order mark out of place.
    static let fragments: [[UInt8]] = [
        Array("\n{\"".utf8), Array("{\"a\":".utf8), Array("\":\"".utf8), Array("\",\"".utf8),
        Array("\"phone_number\"".utf8), Array("true".utf8), Array("false".utf8), Array("null".utf8),
        Array("\\u00e9".utf8), Array("\\ud83d\\ude00".utf8), Array("\\ud800".utf8), Array("\\u12".utf8),
        Array("-0.5E+3".utf8), Array("1e400".utf8), Array("\"\"".utf8), Array("\r\n".utf8), Array("é€😀".utf8),
        Array(repeating: UInt8(ascii: "["), count: 70), [0xEF, 0xBB, 0xBF],
    ]

    /// Invalid UTF-8: an overlong `/`, a surrogate, a code point above U+10FFFF and a truncated sequence.
    static let invalidUTF8: [[UInt8]] = [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]

    /// One ASCII byte, most often one that means something to CSV or JSON, then digits, letters and `+-.`.
    static func randomByte(_ random: inout SplitMix64) -> UInt8 {
        switch random.below(20) {
        case 0..<10: random.pick(structuralBytes)
        case 10..<15: UInt8(ascii: "0") + UInt8(random.below(10))
        case 15: random.pick(Array("+-.".utf8))
        default: random.pick(letterBytes)
        }
    }

    /// Random bytes: sometimes after a UTF-8 or UTF-16 byte order mark, usually under 200 bytes, sometimes up to
    /// 2000; mostly ASCII, with a multi-byte fragment in about one draw in 14 and a high byte or invalid UTF-8 in
    /// about one in 100, so that most lines are valid UTF-8 and reach the parsers. Half the lines start with `{`,
    /// so that they reach the JSON parser beyond its first byte.
    static func randomBytes(_ random: inout SplitMix64) -> [UInt8] {
        let marks: [[UInt8]] = [[0xEF, 0xBB, 0xBF], [0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF]]
        var bytes = random.oneIn(4) ? random.pick(marks) : []
        let length = random.oneIn(12) ? random.below(2000) : random.below(200)
        while bytes.count < length {
            if bytes.last == nil || bytes.last == UInt8(ascii: "\n"), random.oneIn(2) {
                bytes.append(UInt8(ascii: "{"))
            }
            switch random.below(200) {
            case 0: bytes.append(0x80 + UInt8(random.below(128)))
            case 1: bytes += random.pick(invalidUTF8)
            case 2..<16: bytes += random.pick(fragments)
            default: bytes.append(randomByte(&random))
            }
        }
        return bytes
    }

    /// One of `seeds` with 1 to 4 mutations: a flipped bit, a replaced byte, inserted random bytes, a deleted or
    /// duplicated slice, a truncation, a splice with the tail of another seed of either format, or (when a byte
    /// change falls past the end) an appended byte.
    static func mutatedSeed(_ seeds: [[UInt8]], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = random.pick(seeds)
        for _ in 0...random.below(4) {
            let position = random.below(bytes.count + 1)
            let length = 1 + random.below(16)
            switch random.below(7) {
            case 0 where position < bytes.count:
                bytes[position] ^= 1 << random.below(8)
            case 1 where position < bytes.count:
                bytes[position] = randomByte(&random)
            case 2:
                bytes.insert(contentsOf: (0..<length).map { _ in randomByte(&random) }, at: position)
            case 3:
                bytes.removeSubrange(position..<min(bytes.count, position + length))
            case 4:
                let slice = bytes[position..<min(bytes.count, position + length)]
                bytes.insert(contentsOf: slice, at: random.below(bytes.count + 1))
            case 5:
                bytes.removeSubrange(position...)
            case 6:
                let partner = random.pick(Format.csv.seeds + Format.jsonl.seeds)
                bytes = Array(bytes[..<position] + partner[random.below(partner.count + 1)...])
            default:
                bytes.append(randomByte(&random))
            }
        }
        return bytes
    }

    /// The seeds themselves read without an unreadable line, whatever the chunk size, so the mutations start from
    /// files that are really valid.
    @Test(arguments: [Format.csv, .jsonl])
    func seedFilesReadWithoutUnreadableLines(format: Format) {
        var violations = Violations()
        for (index, seed) in format.seeds.enumerated() {
            for chunkSize in [1, 2, 3, 7, 65536] {
                let readCase = ReadCase(
                    index: index, seed: 0, format: format, bytes: seed, chunkSize: chunkSize, maxRowBytes: 65536)
                let outcome = Self.read(readCase, violations: &violations)
                let rowCount: Int
                if case .read(let items, _) = outcome {
                    rowCount = items.count(where: { if case .row = $0 { true } else { false } })
                    violations.check(rowCount == items.count, "\(readCase): unreadable items in \(items)")
                } else {
                    rowCount = 0
                }
                violations.check(rowCount >= 2, "\(readCase): \(rowCount) rows, \(outcome)")
            }
        }
        #expect(violations.count == 0, "\(violations)")
    }

    /// 4000 random byte strings read as CSV.
    @Test func csvReaderNeverCrashesOrHangsOnRandomBytes() {
        let violations = Self.fuzz(.csv, seed: 0xC5_0001, cases: 4000) { Self.randomBytes(&$0) }
        #expect(violations.count == 0, "\(violations)")
    }

    /// 4000 mutations of valid CSV files read as CSV.
    @Test func csvReaderNeverCrashesOrHangsOnMutatedFiles() {
        let violations = Self.fuzz(.csv, seed: 0xC5_0002, cases: 4000) { Self.mutatedSeed(Format.csv.seeds, &$0) }
        #expect(violations.count == 0, "\(violations)")
    }

    /// 4000 random byte strings read as JSONL.
    @Test func jsonlReaderNeverCrashesOrHangsOnRandomBytes() {
        let violations = Self.fuzz(.jsonl, seed: 0x750_0001, cases: 4000) { Self.randomBytes(&$0) }
        #expect(violations.count == 0, "\(violations)")
    }

    /// 4000 mutations of valid JSONL files read as JSONL.
    @Test func jsonlReaderNeverCrashesOrHangsOnMutatedFiles() {
        let violations = Self.fuzz(.jsonl, seed: 0x750_0002, cases: 4000) {
            Self.mutatedSeed(Format.jsonl.seeds, &$0)
        }
        #expect(violations.count == 0, "\(violations)")
    }

    // MARK: Normalizer

    /// Pieces of phone number columns: ASCII digits, allowed punctuation, letters and extension markers, other
    /// ASCII, Arabic-Indic, Persian and fullwidth digits, a fullwidth plus, emoji (a keycap and a flag too), a
    /// combining accent, unusual white space, NUL and the replacement character.
    static let phonePieces = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " ", "-", ".", "(", ")", "/", "+", "a", "x", "e", "E",
        "ext", ";ext=", "E+09", "#", "*", ",", "٠", "٣", "٩", "۷", "０", "５", "＋", "😀", "📞", "🇺🇸", "1️⃣",
        "\u{0301}", "\t", "\n", "\r\n", "\u{00A0}", "\u{2007}", "\u{200B}", "\u{0}", "\u{FFFD}",
    ]

    /// `country_code` values: none, empty, blank, assigned codes with and without `+`, unassigned and malformed ones,
    /// non-ASCII digits and a very long one.
    static let countryCodes: [String?] = [
        nil, "", " ", "1", "44", "+49", "49", "33", "86", "39", "7", "800", "999", "0", "+", "abc", "1234", "٤٤",
        " +44 ", "+ 1", "+1\n", String(repeating: "1", count: 300),
    ]

    /// Calling codes with the usual length of their national numbers.
    static let numberPlans = [
        (code: "1", length: 10), (code: "44", length: 10), (code: "49", length: 11), (code: "33", length: 9),
        (code: "86", length: 11), (code: "7", length: 10), (code: "39", length: 10), (code: "800", length: 8),
        (code: "979", length: 9), (code: "999", length: 8),
    ]

    /// A random `phone_number` value and `country_code`.
    ///
    /// Often phone-like: a calling code's usual number of digits (sometimes one more or less) with punctuation,
    /// sometimes a stray piece, written internationally (`+` or `00` and the calling code, `country_code` none,
    /// the same or another) or nationally (perhaps after a trunk `0`, `country_code` the calling code or another).
    /// Otherwise random pieces, a few thousand of them at times, with a random `country_code`.
    static func randomPhoneInput(_ random: inout SplitMix64) -> (number: String, countryCode: String?) {
        let randomCountryCode = random.oneIn(4) ? String(random.below(1000)) : random.pick(countryCodes)
        switch random.below(10) {
        case 0:
            let pieces = (0..<(100 + random.below(2900))).map { _ in random.pick(phonePieces) }
            return (pieces.joined(), randomCountryCode)
        case 1, 2:
            return ((0..<random.below(30)).map { _ in random.pick(phonePieces) }.joined(), randomCountryCode)
        default:
            let plan = random.pick(numberPlans)
            let international = random.oneIn(2)
            var pieces = international ? [random.pick(["+", "+", "00", "+ ", "(+"]), plan.code] : []
            if !international, random.oneIn(3) {
                pieces.append("0")
            }
            for _ in 0..<(plan.length + random.pick([-1, 0, 0, 0, 1])) {
                pieces.append(String(random.below(10)))
                if random.oneIn(5) {
                    pieces.append(random.pick([" ", "-", ".", "/", "(", ")"]))
                }
            }
            if random.oneIn(6) {
                pieces.insert(random.pick(phonePieces), at: random.below(pieces.count + 1))
            }
            let matching = international ? [nil, plan.code, "+" + plan.code] : [plan.code, " +" + plan.code]
            return (pieces.joined(), random.oneIn(5) ? randomCountryCode : random.pick(matching))
        }
    }

    /// The calling code a `country_code` value names when it is 1 to 3 ASCII digits after an optional `+`, blanks
    /// around it ignored.
    static func callingCode(in countryCode: String?) -> Int? {
        guard let trimmed = countryCode?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        let digits = trimmed.hasPrefix("+") ? trimmed.dropFirst() : Substring(trimmed)
        guard (1...3).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// 8000 random phone numbers with random country codes: each is either a failure with a reason or a number
    /// that keeps the promises of ``NormalizedPhone``, agrees with the given calling code, and normalizes to
    /// itself again, with or without its calling code.
    @Test func normalizerReturnsAValidE164NumberOrAReasonForRandomInput() {
        let normalizer = PhoneNormalizer()
        let seed: UInt64 = 0xE164_0001
        let cases = 8000
        var violations = Violations()
        var reparsed = Violations()
        var successes = 0
        for index in 0..<cases {
            let caseSeed = Self.caseSeed(seed, index: index)
            var random = SplitMix64(seed: caseSeed)
            let (number, countryCode) = Self.randomPhoneInput(&random)
            /// The case and its input, for a failure message.
            func context() -> String {
                "case \(index) (seed 0x\(String(caseSeed, radix: 16))): \(String(number.prefix(80)).debugDescription) "
                    + "(\(number.count) characters), country_code \(String(describing: countryCode?.prefix(20)))"
            }
            switch normalizer.normalize(phoneNumber: number, countryCode: countryCode) {
            case .failure(let error):
                violations.check(!error.description.isEmpty, "\(context()): failure without a reason (\(error))")
            case .success(let phone):
                successes += 1
                let national = phone.nationalNumber
                violations.check(
                    phone.e164 == "+\(phone.countryCode)\(national)" && (1...999).contains(phone.countryCode)
                        && (2...17).contains(national.utf8.count)
                        && national.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                        && !phone.regionCode.isEmpty,
                    "\(context()): malformed result \(phone)")
                if let given = Self.callingCode(in: countryCode) {
                    violations.check(phone.countryCode == given, "\(context()): calling code \(given) became \(phone)")
                }
                for code in [nil, "\(phone.countryCode)"] {
                    let again = normalizer.normalize(phoneNumber: phone.e164, countryCode: code)
                    reparsed.check(
                        (try? again.get())?.e164 == phone.e164,
                        "\(context()): \(phone.e164) with country_code \(code ?? "nil") normalizes to \(again)")
                }
            }
        }
        #expect(violations.count == 0, "\(violations)")
        // A doubled trunk prefix ("+44 (0) 0471685669") once gave "+440471685669", which read again is another
        // number; it is now refused (NormalizationError.trunkPrefixAfterCountryCode).
        #expect(reparsed.count == 0, "E.164 results that normalize to another number: \(reparsed)")
        // Both branches must be exercised: far fewer successes would leave the E.164 checks unchecked.
        #expect(successes * 10 > cases && successes * 2 < cases, "\(successes) successes of \(cases)")
    }
}
