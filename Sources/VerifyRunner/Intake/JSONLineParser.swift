/// Why a line is not one JSON object, as a short sentence with a 1-based byte column.
struct JSONLineError: Error {
    var reason: String
}

/// A strict RFC 8259 parser for one line of JSONL that must hold exactly one JSON object, whose members
/// it turns into strings in the order they appear.
///
/// Strings are unescaped (including `\uXXXX` and surrogate pairs), numbers keep their literal text,
/// `true` / `false` become `"true"` / `"false"`, `null` becomes `""`, and nested objects and arrays
/// keep their raw JSON text. The parser keeps its buffers between lines to avoid allocating.
struct JSONLineParser {
    /// How deeply values may nest inside the line's object before the line is refused.
    static let maxNestingDepth = 64

    /// The members of the last object parsed, in order (a repeated key appears twice); `isNumber` when
    /// the value was a JSON number (its literal text is the value).
    private(set) var members: [(key: String, value: String, isNumber: Bool)] = []
    /// Reused buffer for strings with escapes.
    private var unescaped: [UInt8] = []

    /// Parses `line` (valid UTF-8, no line feed) into ``members``.
    ///
    /// - Throws: ``JSONLineError`` when the line is not exactly one JSON object.
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONLineError) {
        members.removeAll(keepingCapacity: true)
        var cursor = Cursor(bytes: line, unescaped: unescaped)
        unescaped = []  // leaves the cursor the only owner, so appending does not copy the buffer
        defer { unescaped = cursor.unescaped }
        cursor.skipWhitespace()
        guard cursor.peek == ASCII.openBrace else {
            throw JSONLineError(reason: "not a JSON object")
        }
        try cursor.parseObject { key, value, isNumber in members.append((key, value, isNumber)) }
        cursor.skipWhitespace()
        if cursor.peek != nil {
            throw cursor.error("unexpected text after the object")
        }
    }
}

/// The bytes the parser looks for.
private enum ASCII {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
}

/// A read position in one line, with the recursive-descent parsing steps.
private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Reused buffer for strings with escapes.
    var unescaped: [UInt8]

    init(bytes: UnsafeBufferPointer<UInt8>, unescaped: [UInt8]) {
        self.bytes = bytes
        self.unescaped = unescaped
    }

    /// The byte at the cursor, or `nil` at the end of the line.
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// An error about the byte at the cursor: `"invalid JSON: <problem> at column N"`.
    func error(_ problem: String, at position: Int? = nil) -> JSONLineError {
        let position = position ?? index
        if position >= bytes.count {
            return JSONLineError(reason: "invalid JSON: \(problem) at end of line")
        }
        return JSONLineError(reason: "invalid JSON: \(problem) at column \(position + 1)")
    }

    /// Moves past spaces, tabs and carriage returns (JSON whitespace; lines hold no line feeds).
    mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0D {
            index += 1
        }
    }

    /// Moves past `byte` or throws `expected \(what)`.
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONLineError) {
        guard peek == byte else { throw error("expected \(what)") }
        index += 1
    }

    /// Parses the object at the cursor (at its `{`), calling `member` for each key and value.
    mutating func parseObject(_ member: (String, String, Bool) -> Void) throws(JSONLineError) {
        try parseContainer(depth: 0) { (cursor, key) throws(JSONLineError) in
            let isNumber = cursor.peek.map { $0 == ASCII.minus || ASCII.digits.contains($0) } ?? false
            member(key ?? "", try cursor.parseValue(depth: 1, keepingText: true), isNumber)
        }
    }

    /// Parses the object or array at the cursor, calling `element` with the cursor on each value (and
    /// the member's key, for objects) to parse it.
    private mutating func parseContainer(
        depth: Int, _ element: (inout Cursor, String?) throws(JSONLineError) -> Void
    ) throws(JSONLineError) {
        guard depth <= Self.maxDepth else {
            throw error("nesting deeper than \(Self.maxDepth) levels")
        }
        let isObject = peek == ASCII.openBrace
        let close = isObject ? ASCII.closeBrace : ASCII.closeBracket
        index += 1
        skipWhitespace()
        if peek == close {
            index += 1
            return
        }
        while true {
            var key: String?
            if isObject {
                guard peek == ASCII.quote else { throw error("expected a quoted key") }
                key = try parseString(keepingText: true)
                skipWhitespace()
                try expect(ASCII.colon, "':'")
                skipWhitespace()
            }
            try element(&self, key)
            skipWhitespace()
            if peek == ASCII.comma {
                index += 1
                skipWhitespace()
            } else {
                try expect(close, isObject ? "',' or '}'" : "',' or ']'")
                return
            }
        }
    }

    private static var maxDepth: Int { JSONLineParser.maxNestingDepth }

    /// Parses the value at the cursor into its row text (see ``JSONLineParser``); with `keepingText`
    /// false it only validates strings and nested values and returns `""` for them.
    mutating func parseValue(depth: Int, keepingText: Bool) throws(JSONLineError) -> String {
        guard let byte = peek else { throw error("expected a value") }
        switch byte {
        case ASCII.quote:
            return try parseString(keepingText: keepingText)
        case ASCII.openBrace, ASCII.openBracket:
            let start = index
            try parseContainer(depth: depth) { (cursor, _) throws(JSONLineError) in
                _ = try cursor.parseValue(depth: depth + 1, keepingText: false)
            }
            return keepingText ? text(start..<index) : ""
        case ASCII.minus, ASCII.digits:
            return try parseNumber()
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return "true"
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return "false"
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return ""
        default:
            throw error("expected a value")
        }
    }

    /// The bytes in `range` as a string (they are valid UTF-8).
    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Moves past the literal `word` (`true`, `false`, `null`).
    private mutating func parseLiteral(_ word: StaticString) throws(JSONLineError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            UnsafeBufferPointer(rebasing: bytes[index..<(index + count)])
                .elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: count))
        else { throw error("expected a value") }
        index += count
    }

    /// Parses the number at the cursor and returns its literal text.
    private mutating func parseNumber() throws(JSONLineError) -> String {
        let start = index
        if peek == ASCII.minus {
            index += 1
        }
        if peek == ASCII.zero {
            index += 1
        } else {
            try skipDigits()
        }
        if peek == ASCII.dot {
            index += 1
            try skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == ASCII.plus || peek == ASCII.minus {
                index += 1
            }
            try skipDigits()
        }
        return text(start..<index)
    }

    /// Moves past one or more digits.
    private mutating func skipDigits() throws(JSONLineError) {
        guard let byte = peek, ASCII.digits.contains(byte) else { throw error("expected a digit") }
        while let byte = peek, ASCII.digits.contains(byte) {
            index += 1
        }
    }

    /// Parses the string at the cursor (at its opening quote) and returns its unescaped value, or `""`
    /// without `keepingText`.
    mutating func parseString(keepingText: Bool) throws(JSONLineError) -> String {
        let opening = index
        index += 1
        let start = index
        // Fast path: no escapes, so the value is the bytes between the quotes.
        while let byte = peek, byte != ASCII.quote, byte != ASCII.backslash {
            guard byte >= 0x20 else { throw error("control character in string") }
            index += 1
        }
        if peek == ASCII.quote {
            index += 1
            return keepingText ? text(start..<(index - 1)) : ""
        }
        unescaped.removeAll(keepingCapacity: true)
        unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while let byte = peek {
            switch byte {
            case ASCII.quote:
                index += 1
                return keepingText ? String(decoding: unescaped, as: UTF8.self) : ""
            case ASCII.backslash:
                try parseEscape()
            case 0..<0x20:
                throw error("control character in string")
            default:
                unescaped.append(byte)
                index += 1
            }
        }
        throw error("unterminated string", at: opening)
    }

    /// Parses the escape sequence at the cursor (at its backslash) into ``unescaped``.
    private mutating func parseEscape() throws(JSONLineError) {
        let escapeStart = index
        index += 1
        guard let letter = peek else { throw error("unterminated string") }
        index += 1
        let simple: UInt8
        switch letter {
        case ASCII.quote, ASCII.backslash, UInt8(ascii: "/"): simple = letter
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            try parseUnicodeEscape(startingAt: escapeStart)
            return
        default:
            throw error("invalid escape", at: escapeStart)
        }
        unescaped.append(simple)
    }

    /// Parses the hex digits of a `\uXXXX` escape (and the low half of a surrogate pair) into
    /// ``unescaped`` as UTF-8.
    private mutating func parseUnicodeEscape(startingAt escapeStart: Int) throws(JSONLineError) {
        var value = try parseHex4(escapeStart: escapeStart)
        switch value {
        case 0xD800...0xDBFF:
            let lowStart = index
            guard peek == ASCII.backslash, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate", at: escapeStart)
            }
            index += 2
            let low = try parseHex4(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate", at: escapeStart) }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        case 0xDC00...0xDFFF:
            throw error("unpaired surrogate", at: escapeStart)
        default:
            break
        }
        guard let scalar = Unicode.Scalar(value) else { throw error("invalid escape", at: escapeStart) }
        UTF8.encode(scalar) { unescaped.append($0) }
    }

    /// Parses four hex digits at the cursor.
    private mutating func parseHex4(escapeStart: Int) throws(JSONLineError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid escape", at: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case ASCII.digits: digit = byte - ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid escape", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
