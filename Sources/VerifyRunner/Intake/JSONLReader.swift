/// Reads a JSONL job file (one JSON object per line, UTF-8 with optional BOM, LF or CRLF) one line at
/// a time, straight from its bytes.
///
/// Each non-blank line must be exactly one JSON object (RFC 8259, parsed strictly). Its members become
/// the row's values, aligned with ``columns``: keys never seen before are appended to `columns` in the
/// order they appear, keys missing from a line are `""`, and a key repeated within one object keeps its
/// last value. Values are strings (unescaped), numbers as written (`2.02555E+09` stays as is), `"true"`
/// / `"false"`, `""` for `null`, and the raw JSON text of nested objects and arrays.
///
/// A line that is not valid UTF-8, not a JSON object, not valid JSON, longer than ``maxRowBytes``, or
/// whose phone number is a JSON number instead of a string becomes
/// ``InputItem/unreadable(line:reason:)``; its keys are not added to `columns`.
public final class JSONLReader: JobFileReader {
    /// Every key seen so far, in order of first appearance.
    public private(set) var columns: [String] = []
    /// The longest line, in bytes without its line feed, that is read as a row.
    public let maxRowBytes: Int

    private let input: ChunkedInput
    /// Physical line of the first unconsumed byte.
    private var line = 1
    /// Position of each name in `columns`.
    private var columnIndex: [String: Int] = [:]
    private var parser = JSONLineParser()
    /// Whether a key names the phone number column, by key (asked only for keys with number values).
    private var keyNamesPhoneNumber: [String: Bool] = [:]

    /// Opens the JSONL file at `path` and checks that it holds at least one non-blank line.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - chunkSize: how many bytes to read from the file at a time.
    ///   - maxRowBytes: lines longer than this are reported unreadable instead of being buffered.
    /// - Throws: ``JobFileError`` when the file cannot be opened or read, is UTF-16, or is empty.
    public convenience init(path: String, chunkSize: Int = 65536, maxRowBytes: Int = 65536) throws(JobFileError) {
        try self.init(input: ChunkedInput(path: path, chunkSize: chunkSize), maxRowBytes: maxRowBytes)
    }

    /// Reads JSONL from in-memory `bytes`, handed to the parser `chunkSize` bytes at a time.
    ///
    /// - Throws: ``JobFileError`` as ``init(path:chunkSize:maxRowBytes:)`` does.
    public convenience init(bytes: [UInt8], chunkSize: Int = 65536, maxRowBytes: Int = 65536) throws(JobFileError) {
        try self.init(input: ChunkedInput(bytes: bytes, chunkSize: chunkSize), maxRowBytes: maxRowBytes)
    }

    private init(input: ChunkedInput, maxRowBytes: Int) throws(JobFileError) {
        self.input = input
        self.maxRowBytes = max(1, maxRowBytes)
        try input.skipByteOrderMark()
        if case .endOfInput = try findNonBlankLine() {
            throw JobFileError(reason: "empty file: no JSON object")
        }
    }

    /// The next record, or `nil` at the end of the file.
    public func next() throws(JobFileError) -> InputItem? {
        let extent = try findNonBlankLine()
        let rowLine = line
        switch extent {
        case .endOfInput:
            return nil
        case .overLong:
            input.consume(maxRowBytes + 1)
            if try input.discardThroughNewline() {
                line += 1
            }
            return .unreadable(line: rowLine, reason: "line longer than \(maxRowBytes) bytes")
        case .complete(let length, let terminated):
            let item = readObject(length: length, line: rowLine)
            consumeLine(length: length, terminated: terminated)
            return item
        }
    }

    /// Parses the line of `length` bytes at the first unconsumed byte into a row.
    private func readObject(length: Int, line: Int) -> InputItem {
        let problem = input.withUnconsumedBytes { bytes -> String? in
            let text = UnsafeBufferPointer(rebasing: bytes[0..<length])
            if let reason = text.invalidUTF8Reason() {
                return reason
            }
            do throws(JSONLineError) {
                try parser.parse(text)
                return nil
            } catch {
                return error.reason
            }
        }
        if let problem {
            return .unreadable(line: line, reason: problem)
        }
        // A phone number written as a JSON number has lost any `+` or leading zero, and may be in
        // exponent form: it is refused, never guessed.
        if let number = parser.members.first(where: { $0.isNumber && namesPhoneNumber($0.key) }) {
            return .unreadable(
                line: line,
                reason: "\(number.key) is a JSON number (\(number.value.prefix(32))): write phone numbers as strings, "
                    + "e.g. \"+12025550189\"")
        }
        var values = [String](repeating: "", count: columns.count)
        for member in parser.members {
            if let position = columnIndex[member.key] {
                values[position] = member.value
            } else {
                columnIndex[member.key] = columns.count
                columns.append(member.key)
                values.append(member.value)
            }
        }
        return .row(InputRow(line: line, values: values))
    }

    private func namesPhoneNumber(_ key: String) -> Bool {
        if let known = keyNamesPhoneNumber[key] { return known }
        let names = KnownColumn(header: key) == .phoneNumber
        keyNamesPhoneNumber[key] = names
        return names
    }

    // MARK: Finding lines

    /// Where the next line ends; it starts at the first unconsumed byte.
    private enum LineExtent {
        /// A line of `length` bytes (line feed excluded); `terminated` when a line feed follows it.
        case complete(length: Int, terminated: Bool)
        /// No line feed within the first `maxRowBytes + 1` bytes.
        case overLong
        /// No bytes are left.
        case endOfInput
    }

    /// Consumes blank and whitespace-only lines, then finds the end of the next line without consuming
    /// it.
    private func findNonBlankLine() throws(JobFileError) -> LineExtent {
        while true {
            let extent = try findLine()
            guard case .complete(let length, let terminated) = extent,
                input.withUnconsumedBytes({ UnsafeBufferPointer(rebasing: $0[0..<length]).isBlank() })
            else { return extent }
            consumeLine(length: length, terminated: terminated)
        }
    }

    /// Finds the line feed that ends the line at the first unconsumed byte, reading chunks as needed but
    /// never more than `maxRowBytes + 1` bytes of one line.
    private func findLine() throws(JobFileError) -> LineExtent {
        var scanned = 0
        let limit = maxRowBytes + 1
        while true {
            let available = input.unconsumedCount
            let end = min(available, limit)
            let newline = input.withUnconsumedBytes {
                $0.firstIndex(ofByte: UInt8(ascii: "\n"), in: scanned..<end)
            }
            if let newline {
                return .complete(length: newline, terminated: true)
            }
            scanned = end
            if scanned == limit {
                return .overLong
            }
            guard try input.readMore() else {
                return available == 0 ? .endOfInput : .complete(length: available, terminated: false)
            }
        }
    }

    /// Consumes a line and its line feed.
    private func consumeLine(length: Int, terminated: Bool) {
        input.consume(terminated ? length + 1 : length)
        if terminated {
            line += 1
        }
    }
}

@available(*, unavailable, message: "a reader owns a file position and buffers; use it from one task")
extension JSONLReader: Sendable {}
