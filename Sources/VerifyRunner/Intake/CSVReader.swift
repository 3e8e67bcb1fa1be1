/// Reads a CSV job file (RFC 4180, header row required, UTF-8 with optional BOM, LF or CRLF) one
/// record at a time, straight from its bytes.
///
/// - Records end at a line feed outside quotes; a carriage return just before it is dropped. Quoted
///   fields may hold delimiters, doubled quotes and line breaks (a lone CR inside quotes is kept).
///   A row's ``InputRow/line`` is the physical line it starts on.
/// - Lenient where RFC 4180 is silent about bad input, like Python's `csv`: a quote inside an
///   unquoted field is a literal character, and text after a closing quote is appended to the field.
/// - The separator is `,`, `;` (Excel in many locales) or tab: unless one is given, the most frequent
///   of the three outside quotes on the header line (`,` on a tie or when none occurs).
/// - Blank and whitespace-only lines are skipped. Short rows are padded with `""`; extra fields get
///   generated `column_N` names (see ``InputRow/values``).
/// - A record with invalid UTF-8, a record longer than ``maxRowBytes`` and an unterminated quote at the
///   end of the file become ``InputItem/unreadable(line:reason:)``; after an unterminated quote, reading
///   goes on at the line after the one it opened on. After an over-long record, reading
///   resumes at the next physical line after its first `maxRowBytes + 1` bytes, so the buffer never
///   holds more than about `maxRowBytes + chunkSize` bytes.
///
/// ```swift
/// let reader = try CSVReader(path: "jobs/incoming/list.csv")
/// while let item = try reader.next() { … }
/// ```
public final class CSVReader: JobFileReader {
    /// The header's column names.
    public private(set) var columns: [String] = []
    /// The field separator byte, given or detected from the header line.
    public let delimiter: UInt8
    /// The longest record, in bytes without its line feed, that is read as a row.
    public let maxRowBytes: Int

    private let input: ChunkedInput
    /// Physical line of the first unconsumed byte.
    private var line = 1
    /// Reused buffer for fields that need unquoting.
    private var unquoted: [UInt8] = []

    /// Opens the CSV file at `path` and reads its header row.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - chunkSize: how many bytes to read from the file at a time.
    ///   - delimiter: the field separator byte; `nil` detects it from the header line.
    ///   - maxRowBytes: records longer than this are reported unreadable instead of being buffered.
    /// - Throws: ``JobFileError`` when the file cannot be opened or read, is UTF-16, or has no usable
    ///   header row.
    public convenience init(
        path: String, chunkSize: Int = 65536, delimiter: UInt8? = nil, maxRowBytes: Int = 65536
    ) throws(JobFileError) {
        try self.init(
            input: ChunkedInput(path: path, chunkSize: chunkSize), delimiter: delimiter, maxRowBytes: maxRowBytes)
    }

    /// Reads CSV from in-memory `bytes`, handed to the parser `chunkSize` bytes at a time.
    ///
    /// - Throws: ``JobFileError`` as ``init(path:chunkSize:delimiter:maxRowBytes:)`` does.
    public convenience init(
        bytes: [UInt8], chunkSize: Int = 65536, delimiter: UInt8? = nil, maxRowBytes: Int = 65536
    ) throws(JobFileError) {
        try self.init(
            input: ChunkedInput(bytes: bytes, chunkSize: chunkSize), delimiter: delimiter, maxRowBytes: maxRowBytes)
    }

    private init(input: ChunkedInput, delimiter: UInt8?, maxRowBytes: Int) throws(JobFileError) {
        self.input = input
        self.maxRowBytes = max(1, maxRowBytes)
        try input.skipByteOrderMark()
        if let delimiter {
            self.delimiter = delimiter
        } else {
            self.delimiter = try Self.detectDelimiter(in: input, limit: self.maxRowBytes)
        }
        try readHeader()
    }

    /// The most frequent of `,`, `;` and tab outside quotes on the first non-blank line (the first of
    /// them on a tie, `,` when none occurs), read without consuming anything.
    private static func detectDelimiter(in input: ChunkedInput, limit: Int) throws(JobFileError) -> UInt8 {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
        var counts = [0, 0, 0]
        var quoted = false
        var seenText = false
        var scanned = 0
        scanning: while scanned <= limit {
            if scanned == input.unconsumedCount {
                guard try input.readMore() else { break }
            }
            let lineEnded = input.withUnconsumedBytes { bytes -> Bool in
                while scanned < bytes.count, scanned <= limit {
                    let byte = bytes[scanned]
                    scanned += 1
                    if byte == UInt8(ascii: "\"") {
                        quoted.toggle()
                    } else if !quoted, byte == UInt8(ascii: "\n"), seenText {
                        return true
                    } else if !quoted, let index = candidates.firstIndex(of: byte) {
                        counts[index] += 1
                    }
                    if byte > 0x20 { seenText = true }
                }
                return false
            }
            if lineEnded { break scanning }
        }
        let best = counts.indices.max { counts[$0] < counts[$1] } ?? 0
        return candidates[best]
    }

    /// The next record, or `nil` at the end of the file.
    public func next() throws(JobFileError) -> InputItem? {
        while true {
            let rowLine = line
            switch try findRecord() {
            case .endOfInput:
                return nil
            case .unterminatedQuote:
                // The rest of the file is buffered (it is shorter than maxRowBytes): this line is reported
                // and the lines after it are read again as rows, so the quote swallows nothing.
                if try input.discardThroughNewline() { line += 1 }
                return .unreadable(
                    line: rowLine, reason: "unterminated quoted field: a quote opened on this line is never closed")
            case .overLong(let newlines, let endsOnNewline):
                try skipOverLongRecord(newlines: newlines, endsOnNewline: endsOnNewline)
                return .unreadable(line: rowLine, reason: "line longer than \(maxRowBytes) bytes")
            case .complete(let length, let newlines, let terminated):
                let fields = splitRecord(length: length)
                consumeRecord(length: length, newlines: newlines, terminated: terminated)
                switch fields {
                case .blank:
                    continue
                case .invalid(let reason):
                    return .unreadable(line: rowLine, reason: reason)
                case .values(let values):
                    return .row(InputRow(line: rowLine, values: aligned(values)))
                }
            }
        }
    }

    /// Reads the first non-blank record as the header; names are trimmed of surrounding whitespace.
    private func readHeader() throws(JobFileError) {
        while true {
            let headerLine = line
            switch try findRecord() {
            case .endOfInput:
                throw JobFileError(reason: "empty file: no header row")
            case .unterminatedQuote:
                throw JobFileError(reason: "unterminated quoted field in the header row", line: headerLine)
            case .overLong:
                throw JobFileError(reason: "header row longer than \(maxRowBytes) bytes", line: headerLine)
            case .complete(let length, let newlines, let terminated):
                let fields = splitRecord(length: length)
                consumeRecord(length: length, newlines: newlines, terminated: terminated)
                switch fields {
                case .blank:
                    continue
                case .invalid(let reason):
                    throw JobFileError(reason: "\(reason) in the header row", line: headerLine)
                case .values(let names):
                    columns = names.map { $0.trimmingWhitespace() }
                    return
                }
            }
        }
    }

    /// Pads a short row with `""`, or names the extra fields of a long one `column_N`.
    private func aligned(_ values: [String]) -> [String] {
        if values.count < columns.count {
            return values + repeatElement("", count: columns.count - values.count)
        }
        for position in columns.count..<values.count {
            columns.append("column_\(position + 1)")
        }
        return values
    }

    // MARK: Finding records

    /// Where the next record ends, as found by ``findRecord()``; the record starts at the first
    /// unconsumed byte.
    private enum RecordExtent {
        /// A record of `length` bytes (line feed excluded) with `newlines` line feeds inside quotes;
        /// `terminated` when a line feed follows it.
        case complete(length: Int, newlines: Int, terminated: Bool)
        /// No end within the first `maxRowBytes + 1` bytes, which hold `newlines` quoted line feeds;
        /// `endsOnNewline` when the last of those bytes is one of them.
        case overLong(newlines: Int, endsOnNewline: Bool)
        /// The input ended inside a quoted field.
        case unterminatedQuote
        /// No bytes are left.
        case endOfInput
    }

    /// Finds the end of the record at the first unconsumed byte, reading chunks as needed but never
    /// more than `maxRowBytes + 1` bytes of one record.
    private func findRecord() throws(JobFileError) -> RecordExtent {
        var scanner = RecordScanner(delimiter: delimiter)
        var scanned = 0
        let limit = maxRowBytes + 1
        while true {
            let available = input.unconsumedCount
            let end = min(available, limit)
            if let newline = input.withUnconsumedBytes({ scanner.scan($0, from: scanned, to: end) }) {
                return .complete(length: newline, newlines: scanner.newlines, terminated: true)
            }
            scanned = end
            if scanned == limit {
                let endsOnNewline = input.withUnconsumedBytes { $0[limit - 1] == UInt8(ascii: "\n") }
                return .overLong(newlines: scanner.newlines, endsOnNewline: endsOnNewline)
            }
            guard try input.readMore() else {
                if available == 0 {
                    return .endOfInput
                }
                if scanner.isInsideQuotes {
                    return .unterminatedQuote
                }
                return .complete(length: available, newlines: scanner.newlines, terminated: false)
            }
        }
    }

    /// Consumes a complete record and its line feed, and counts the lines it spans.
    private func consumeRecord(length: Int, newlines: Int, terminated: Bool) {
        input.consume(terminated ? length + 1 : length)
        line += terminated ? newlines + 1 : newlines
    }

    /// Drops the first `maxRowBytes + 1` bytes of an over-long record and the rest of the physical line
    /// the last of them is on.
    private func skipOverLongRecord(newlines: Int, endsOnNewline: Bool) throws(JobFileError) {
        input.consume(maxRowBytes + 1)
        line += newlines
        if !endsOnNewline, try input.discardThroughNewline() {
            line += 1
        }
    }

    // MARK: Splitting records into fields

    /// The fields of one complete record.
    private enum Fields {
        /// The record is empty or whitespace only.
        case blank
        /// The record cannot be read, for `reason`.
        case invalid(reason: String)
        /// The record's field values, unquoted.
        case values([String])
    }

    /// Splits the complete record of `length` bytes at the first unconsumed byte into its fields.
    private func splitRecord(length: Int) -> Fields {
        input.withUnconsumedBytes { bytes in
            var record = UnsafeBufferPointer(rebasing: bytes[0..<length])
            if record.isBlank() {
                return .blank
            }
            if let reason = record.invalidUTF8Reason() {
                return .invalid(reason: reason)
            }
            if record.last == UInt8(ascii: "\r") {
                record = UnsafeBufferPointer(rebasing: record.dropLast())
            }
            return .values(fields(of: record))
        }
    }

    /// The fields of a valid UTF-8 `record` (no line terminator), unquoted.
    private func fields(of record: UnsafeBufferPointer<UInt8>) -> [String] {
        var values: [String] = []
        values.reserveCapacity(columns.count)
        let quote = UInt8(ascii: "\"")
        var start = 0
        while true {
            var end = start
            if start < record.count, record[start] == quote {
                // Find the closing quote, skipping doubled ones; then whatever follows it up to the delimiter.
                var hasDoubledQuote = false
                end += 1
                while end < record.count {
                    if record[end] == quote {
                        guard end + 1 < record.count, record[end + 1] == quote else { break }
                        hasDoubledQuote = true
                        end += 1
                    }
                    end += 1
                }
                let closingQuote = end
                while end < record.count, record[end] != delimiter {
                    end += 1
                }
                if hasDoubledQuote || end != closingQuote + 1 {
                    values.append(unquote(UnsafeBufferPointer(rebasing: record[start..<end])))
                } else {
                    values.append(text(of: record, in: (start + 1)..<closingQuote))
                }
            } else {
                while end < record.count, record[end] != delimiter {
                    end += 1
                }
                values.append(text(of: record, in: start..<end))
            }
            if end >= record.count {
                return values
            }
            start = end + 1
        }
    }

    /// The bytes of `record` in `range` as a string (the record is valid UTF-8).
    private func text(of record: UnsafeBufferPointer<UInt8>, in range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: record[range]), as: UTF8.self)
    }

    /// The value of a quoted `field` (opening quote included) that has doubled quotes or text after its
    /// closing quote: `"a""b"c` → `a"bc`.
    private func unquote(_ field: UnsafeBufferPointer<UInt8>) -> String {
        let quote = UInt8(ascii: "\"")
        unquoted.removeAll(keepingCapacity: true)
        var insideQuotes = true
        var index = 1
        while index < field.count {
            let byte = field[index]
            if insideQuotes, byte == quote {
                if index + 1 < field.count, field[index + 1] == quote {
                    unquoted.append(quote)
                    index += 1
                } else {
                    insideQuotes = false
                }
            } else {
                unquoted.append(byte)
            }
            index += 1
        }
        return String(decoding: unquoted, as: UTF8.self)
    }

}

@available(*, unavailable, message: "a reader owns a file position and buffers; use it from one task")
extension CSVReader: Sendable {}

/// The quote-aware state machine that finds where a CSV record ends; it can stop at the end of the
/// bytes read so far and resume when more arrive.
private struct RecordScanner {
    /// Where the scanner is within the current field.
    private enum State {
        /// Before the first byte of a field.
        case fieldStart
        /// Inside a field that did not start with a quote (quotes are literal here).
        case unquoted
        /// Inside a quoted field.
        case quoted
        /// Just after a quote inside a quoted field: either a closing quote or the first of a pair.
        case quoteInQuoted
    }

    private var state = State.fieldStart
    private let delimiter: UInt8
    /// Line feeds seen inside quoted fields.
    private(set) var newlines = 0

    init(delimiter: UInt8) {
        self.delimiter = delimiter
    }

    /// Whether the bytes scanned so far end inside a quoted field.
    var isInsideQuotes: Bool { state == .quoted }

    /// Scans `bytes[from..<to]`, continuing from the state the last call ended in.
    ///
    /// - Returns: the index of the line feed that ends the record, or `nil` if it is not in range.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        var state = self.state
        defer { self.state = state }
        var index = from
        while index < to {
            let byte = bytes[index]
            switch state {
            case .quoted:
                if byte == quote {
                    state = .quoteInQuoted
                } else if byte == newline {
                    newlines += 1
                }
            case .fieldStart:
                if byte == quote {
                    state = .quoted
                } else if byte == newline {
                    return index
                } else if byte != delimiter {
                    state = .unquoted
                }
            case .unquoted, .quoteInQuoted:
                if byte == delimiter {
                    state = .fieldStart
                } else if byte == newline {
                    return index
                } else if byte == quote, state == .quoteInQuoted {
                    state = .quoted
                } else {
                    state = .unquoted
                }
            }
            index += 1
        }
        return nil
    }
}
