extension String {
    /// The string without leading and trailing white space (including newlines and no-break spaces).
    ///
    /// When the first and the last UTF-8 bytes are visible ASCII characters (`!` to `~`), the string is returned as
    /// is without a `Character` scan: the first `Character` then starts with a non-space scalar, and the last one
    /// ends with an ASCII character that no grapheme rule attaches to a preceding white space scalar.
    func trimmingWhitespace() -> String {
        let visibleASCII = UInt8(ascii: "!")...UInt8(ascii: "~")
        if let first = utf8.first, let last = utf8.last, visibleASCII.contains(first), visibleASCII.contains(last) {
            return self
        }
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return String(self[start..<end])
    }
}

extension String {
    /// The string for a log line or a terminal: control characters (a newline in a file name, an
    /// escape sequence) written as `\u{…}`, so one name can never forge or garble another line.
    public var printable: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        return unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control
                ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
    }
}
