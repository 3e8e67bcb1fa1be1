/// Minimal JSON text building for reports: string escaping and literals, no Foundation needed.
enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A string literal or `null`.
    static func string(_ value: String?) -> String { value.map { string($0) } ?? "null" }

    /// A number or `null`.
    static func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }

    /// `true`, `false` or `null`.
    static func bool(_ value: Bool?) -> String { value.map { $0 ? "true" : "false" } ?? "null" }

    /// An object from already-encoded values, keys in the given order.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
