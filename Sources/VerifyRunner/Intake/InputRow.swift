/// One data row of a job file, as read, before any normalization.
public struct InputRow: Sendable, Equatable {
    /// 1-based physical line where the row starts (the CSV header is line 1).
    public var line: Int
    /// Field values in the order of ``JobFileReader/columns`` at the time the row was read.
    ///
    /// CSV: header order. A short row is padded with `""`; values beyond the header are kept under
    /// generated column names `column_N` (1-based position) that are appended to `columns`.
    /// JSONL: one entry per column; keys never seen before are appended to `columns` in the order they
    /// appear in the object, and keys missing from this object are `""`.
    public var values: [String]

    /// Creates a row that starts on `line` with `values` aligned to the reader's columns.
    public init(line: Int, values: [String]) {
        self.line = line
        self.values = values
    }
}

/// What a ``JobFileReader`` yields for each data line.
public enum InputItem: Sendable, Equatable {
    /// A row that was read.
    case row(InputRow)
    /// A line that cannot be read as a row; the rest of the file keeps going.
    ///
    /// `reason` is a short, specific sentence such as `"invalid UTF-8 at byte 17"`,
    /// `"unterminated quoted field"` or `"invalid JSON: expected ',' or '}' at column 23"`.
    case unreadable(line: Int, reason: String)
}

/// A file that cannot be read as a job at all: no header, empty file, UTF-16 text, I/O error…
public struct JobFileError: Error, Equatable, CustomStringConvertible {
    /// What is wrong with the file, as one human sentence.
    public var reason: String
    /// The 1-based physical line the problem was found on, when it is tied to one.
    public var line: Int?

    /// Creates an error for `reason`, found on `line` if given.
    public init(reason: String, line: Int? = nil) {
        self.reason = reason
        self.line = line
    }

    /// The reason, after the line number when there is one.
    public var description: String {
        if let line {
            return "line \(line): \(reason)"
        }
        return reason
    }
}
