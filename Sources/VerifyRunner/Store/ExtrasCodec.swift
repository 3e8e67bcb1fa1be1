/// Packs a row's extra column values into one `TEXT` value and back.
///
/// Each value is written as its UTF-8 byte count, `:`, then the bytes — so any text, commas,
/// quotes and newlines included, round-trips without escaping rules.
enum ExtrasCodec {
    /// Packs `values`.
    static func encode(_ values: [String]) -> String {
        var out = ""
        for value in values {
            out += String(value.utf8.count)
            out += ":"
            out += value
        }
        return out
    }

    /// Unpacks what ``encode(_:)`` wrote; stops at the first malformed part.
    static func decode(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var values: [String] = []
        var index = 0
        while index < bytes.count {
            var length = 0
            while index < bytes.count, bytes[index] != UInt8(ascii: ":") {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return values }
                length = length * 10 + digit
                index += 1
            }
            index += 1
            guard index + length <= bytes.count else { return values }
            values.append(String(decoding: bytes[index..<index + length], as: UTF8.self))
            index += length
        }
        return values
    }
}
