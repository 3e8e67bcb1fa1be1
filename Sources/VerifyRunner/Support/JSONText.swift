/// Minimal JSON text building for reports: string escaping and literals, no Foundation needed.
///
/// The byte forms (`append…(to:)`) write into a caller's buffer, for the reports' million-row loops;
/// the String forms are built on them.
enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    static func string(_ value: String) -> String {
        var bytes: [UInt8] = []
        appendString(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A string literal or `null`.
    static func string(_ value: String?) -> String { value.map { string($0) } ?? "null" }

    /// A number or `null`.
    static func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }

    /// `true`, `false` or `null`.
    static func bool(_ value: Bool?) -> String { value.map { $0 ? "true" : "false" } ?? "null" }

    /// An object from already-encoded values, keys in the given order.
    static func object(_ members: [(String, String)]) -> String {
        var out = "{"
        out.reserveCapacity(members.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        for (index, member) in members.enumerated() {
            if index > 0 { out += "," }
            out += string(member.0)
            out += ":"
            out += member.1
        }
        return out + "}"
    }

    /// Appends `value` as a JSON string literal, quotes included, or `null`.
    static func appendString(_ value: String?, to out: inout [UInt8]) {
        guard var value else { return out.append(contentsOf: nullBytes) }
        value.withUTF8 { appendString($0, to: &out) }
    }

    /// Appends the UTF-8 `bytes` as a JSON string literal, quotes included.
    static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(quote)
        // Fast path: most values (numbers, ids, ISO times) need no escaping at all.
        if bytes.contains(where: { $0 < 0x20 || $0 == quote || $0 == backslash }) {
            for byte in bytes { appendEscaped(byte, to: &out) }
        } else {
            out.append(contentsOf: bytes)
        }
        out.append(quote)
    }

    /// Appends `value` as a JSON number, or `null`.
    static func appendNumber(_ value: Int?, to out: inout [UInt8]) {
        guard let value else { return out.append(contentsOf: nullBytes) }
        out.appendDecimal(value)
    }

    /// Appends `true`, `false` or `null`.
    static func appendBool(_ value: Bool?, to out: inout [UInt8]) {
        out.append(contentsOf: bool(value).utf8)
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let nullBytes = Array("null".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// One byte of a string's UTF-8, escaped where JSON requires it (multi-byte characters pass through).
    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case quote, backslash: out.append(contentsOf: [backslash, byte])
        case UInt8(ascii: "\n"): out.append(contentsOf: [backslash, UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): out.append(contentsOf: [backslash, UInt8(ascii: "r")])
        case UInt8(ascii: "\t"): out.append(contentsOf: [backslash, UInt8(ascii: "t")])
        case ..<0x20:
            out.append(contentsOf: Array("\\u00".utf8))
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        default: out.append(byte)
        }
    }
}
