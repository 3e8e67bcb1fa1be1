import Foundation

/// Writes the sandbox's small, fixed-shape JSON answers straight into bytes.
///
/// A generic encoder costs several microseconds per answer, most of it spent reflecting over the value and
/// converting key names; the sandbox knows every shape in advance, so its routes spell them out:
///
/// ```swift
/// let body = JSONWriter.object { json in
///     json.member("message", "Verification code is correct.")
///     json.member("success", true)
/// }
/// // {"message":"Verification code is correct.","success":true}
/// ```
///
/// Keys are static ASCII text and are written as given; string values are escaped as RFC 8259 requires (`"`,
/// `\` and control characters), other characters pass through as UTF-8 and `/` is not escaped.
struct JSONWriter {
    /// The text written so far.
    private(set) var bytes: [UInt8]
    /// Whether the container being written has no member or element yet (no comma needed).
    private var isFirstInContainer = true

    /// Starts an empty text with room for a typical answer.
    private init() {
        bytes = []
        bytes.reserveCapacity(512)
    }

    /// Writes one top-level object.
    ///
    /// - Parameter members: writes the object's members.
    /// - Returns: the UTF-8 text of the object.
    static func object(_ members: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        writer.writeObject(members)
        return writer.bytes
    }

    /// Writes a member with a string value.
    mutating func member(_ key: StaticString, _ value: String) {
        writeKey(key)
        writeString(value)
    }

    /// Writes a member with an integer value.
    mutating func member(_ key: StaticString, _ value: Int) {
        writeKey(key)
        writeInteger(value)
    }

    /// Writes a member whose value is a string, or `null` when there is none.
    mutating func member(_ key: StaticString, orNull value: String?) {
        guard let value else { return nullMember(key) }
        member(key, value)
    }

    /// Writes a member whose value is `null`.
    mutating func nullMember(_ key: StaticString) {
        writeKey(key)
        bytes.append(contentsOf: Self.nullText)
    }

    /// Writes a member whose value is a sid: the prefix and its 32 digits.
    mutating func member(_ key: StaticString, sid: SidDigits, prefix: StaticString) {
        writeKey(key)
        bytes.append(UInt8(ascii: "\""))
        sid.append(prefix: prefix, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes a member with a boolean value.
    mutating func member(_ key: StaticString, _ value: Bool) {
        writeKey(key)
        bytes.append(contentsOf: value ? Self.trueText : Self.falseText)
    }

    /// Writes a member whose value is a timestamp string, as ``ISO8601Timestamp`` spells it.
    mutating func member(_ key: StaticString, timestamp: Date) {
        member(key, timestamp: ISO8601Timestamp.epochSeconds(of: timestamp))
    }

    /// Writes a member whose value is a timestamp string of whole seconds since 1970.
    mutating func member(_ key: StaticString, timestamp epochSeconds: Int64) {
        writeKey(key)
        bytes.append(UInt8(ascii: "\""))
        ISO8601Timestamp.write(epochSeconds: epochSeconds, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes a member whose value is an object.
    mutating func member(_ key: StaticString, object members: (inout JSONWriter) -> Void) {
        writeKey(key)
        writeObject(members)
    }

    /// Writes a member whose value is an array of objects, one per element.
    ///
    /// - Parameters:
    ///   - key: the member's name.
    ///   - elements: the values to write.
    ///   - members: writes the members of one element's object.
    mutating func member<Element>(
        _ key: StaticString, objects elements: some Sequence<Element>,
        _ members: (inout JSONWriter, Element) -> Void
    ) {
        writeKey(key)
        bytes.append(UInt8(ascii: "["))
        var isFirstElement = true
        for element in elements {
            if !isFirstElement { bytes.append(UInt8(ascii: ",")) }
            isFirstElement = false
            writeObject { members(&$0, element) }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `{`, the members, `}`; the enclosing container's comma state is kept.
    private mutating func writeObject(_ members: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        isFirstInContainer = true
        members(&self)
        bytes.append(UInt8(ascii: "}"))
        isFirstInContainer = false
    }

    /// The separating comma when needed, then `"key":`.
    private mutating func writeKey(_ key: StaticString) {
        if !isFirstInContainer { bytes.append(UInt8(ascii: ",")) }
        isFirstInContainer = false
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// A quoted, escaped string: runs that need no escape are copied whole.
    private mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var runStart = 0
            for index in utf8.indices where Self.needsEscape(utf8[index]) {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                writeEscape(utf8[index])
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// The escape sequence of one byte that may not appear raw in a JSON string.
    private mutating func writeEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.appendHexDigits(of: UInt64(byte), count: 2)
        }
    }

    /// Decimal digits of an integer (short text: `String` keeps it inline, without allocating).
    private mutating func writeInteger(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Whether a byte must be escaped inside a JSON string.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// `true`.
    private static let trueText = Array("true".utf8)
    /// `false`.
    private static let falseText = Array("false".utf8)
    /// `null`.
    private static let nullText = Array("null".utf8)
}

extension [UInt8] {
    /// Appends the low `4 × count` bits of `value` as `count` lowercase hex digits, most significant first.
    mutating func appendHexDigits(of value: UInt64, count: Int) {
        for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(shift) & 0xF)
            append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
    }
}
