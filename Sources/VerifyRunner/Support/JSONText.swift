/// Minimal JSON text building for reports: string escaping and literals, no Foundation needed.
enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    static func string(_ value: String) -> String {
        // Fast path: most values (numbers, ids, ISO times) need no escaping at all.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + value + "\"" }
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
}
