#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte-level scanning shared by the job file readers.
extension UnsafeBufferPointer<UInt8> {
    /// The index of the first `byte` in `range`, found with `memchr`.
    func firstIndex(ofByte byte: UInt8, in range: Range<Int>) -> Int? {
        guard let base = baseAddress, !range.isEmpty else { return nil }
        guard let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The index of the first line feed, if any.
    func firstNewline() -> Int? {
        firstIndex(ofByte: UInt8(ascii: "\n"), in: 0..<count)
    }

    /// Whether every byte is a space, a tab or a carriage return (also true when empty).
    func isBlank() -> Bool {
        allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
    }

    /// `"invalid UTF-8 at byte N"` (N 1-based) for the first malformed byte, or `nil` when the bytes are
    /// valid UTF-8.
    func invalidUTF8Reason() -> String? {
        firstInvalidUTF8Index().map { "invalid UTF-8 at byte \($0 + 1)" }
    }

    /// The index of the first byte that does not start a well-formed UTF-8 sequence, or `nil` when all
    /// bytes are valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
    ///
    /// Runs of ASCII are skipped eight bytes at a time.
    func firstInvalidUTF8Index() -> Int? {
        guard let base = baseAddress else { return nil }
        let count = self.count
        var index = 0
        while index < count {
            if index + 8 <= count,
                UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
                continue
            }
            let lead = base[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            // The allowed range of the second byte depends on the lead byte (Unicode Table 3-7).
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: (length, low) = (3, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: (length, high) = (3, 0x9F)
            case 0xF0: (length, low) = (4, 0x90)
            case 0xF1...0xF3: length = 4
            case 0xF4: (length, high) = (4, 0x8F)
            default: return index
            }
            guard index + length <= count, (low...high).contains(base[index + 1]) else { return index }
            for continuation in (index + 2)..<(index + length) where base[continuation] & 0xC0 != 0x80 {
                return index
            }
            index += length
        }
        return nil
    }
}
