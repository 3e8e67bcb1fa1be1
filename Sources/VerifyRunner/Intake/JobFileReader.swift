/// A streaming reader of one job file (docs/contract.md, "Job files"), yielding its data rows one at a time.
///
/// Readers hold an open file and a bounded buffer; they never load the whole file. They are not
/// thread-safe: use one reader from one thread at a time.
public protocol JobFileReader: AnyObject {
    /// The column names known so far, in order; every ``InputRow/values`` is aligned with them.
    ///
    /// A CSV reader knows its header after `init`; generated `column_N` names (CSV) and new keys
    /// (JSONL) are appended while rows are read, so the list only ever grows.
    var columns: [String] { get }

    /// Reads the next data row, or returns `nil` at the end of the file.
    ///
    /// A line that cannot be read becomes ``InputItem/unreadable(line:reason:)`` and reading goes on.
    /// - Throws: ``JobFileError`` when the file itself can no longer be read (an I/O error).
    func next() throws(JobFileError) -> InputItem?
}

/// Opens `path` with the reader its extension calls for: `.csv` → ``CSVReader``, `.jsonl` →
/// ``JSONLReader`` (case-insensitive).
///
/// - Parameter path: the job file to read.
/// - Returns: a reader positioned before the first data row.
/// - Throws: ``JobFileError`` for any other extension, or when the file cannot be opened or has no
///   header (CSV) or no object (JSONL).
public func makeJobFileReader(path: String) throws(JobFileError) -> any JobFileReader {
    let lowercased = path.lowercased()
    if lowercased.hasSuffix(".csv") {
        return try CSVReader(path: path)
    }
    if lowercased.hasSuffix(".jsonl") {
        return try JSONLReader(path: path)
    }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    throw JobFileError(reason: "unsupported file type \"\(name)\": expected a .csv or .jsonl file")
}
