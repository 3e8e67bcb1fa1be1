/// The 32 hexadecimal digits of a Twilio sid (`VE…`, `VL…`) as two integers.
///
/// 16 bytes instead of a 34-character string on the heap, and cheap to hash and compare: the V2 ledger keeps one or
/// two per verification attempt, and a benchmark job makes hundreds of thousands of them. The two-letter prefix is
/// not stored; whoever keeps a sid knows which kind it is and passes the prefix to read or write it.
struct SidDigits: Hashable, Sendable {
    /// The first 16 digits.
    var high: UInt64
    /// The last 16 digits.
    var low: UInt64

    /// Creates a sid from its two halves.
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads a sid: the prefix, then exactly 32 hexadecimal digits in either case.
    ///
    /// - Parameters:
    ///   - text: e.g. `VL0123456789abcdef0123456789abcdef`.
    ///   - prefix: the two letters it must start with, e.g. `VL`.
    /// - Returns: `nil` when the text is anything else.
    init?(parsing text: some StringProtocol, prefix: StaticString) {
        let prefixLength = prefix.utf8CodeUnitCount
        let utf8 = text.utf8
        guard utf8.count == prefixLength + 32,
            prefix.withUTF8Buffer({ utf8.starts(with: $0) })
        else { return nil }
        var halves: [UInt64] = [0, 0]
        for (offset, byte) in utf8.dropFirst(prefixLength).enumerated() {
            guard let value = byte.hexDigitValue else { return nil }
            halves[offset / 16] = halves[offset / 16] << 4 | UInt64(value)
        }
        self.init(high: halves[0], low: halves[1])
    }

    /// Appends the sid's text: the prefix and 32 lowercase hexadecimal digits.
    func append(prefix: StaticString, to bytes: inout [UInt8]) {
        prefix.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.appendHexDigits(of: high, count: 16)
        bytes.appendHexDigits(of: low, count: 16)
    }

    /// The sid's text, e.g. `text(prefix: "VE")` → `VE0123…`.
    func text(prefix: StaticString) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.utf8CodeUnitCount + 32)
        append(prefix: prefix, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
