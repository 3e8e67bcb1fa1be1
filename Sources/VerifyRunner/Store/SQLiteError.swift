/// A failed SQLite call, with SQLite's own code and message and the SQL that was attempted.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code.
    public var code: Int32
    /// `sqlite3_errmsg` at the time of the failure.
    public var message: String
    /// The statement, when one was involved.
    public var sql: String?

    /// One line naming what failed.
    public var description: String {
        if let sql { return "SQLite error \(code): \(message) (while running: \(sql))" }
        return "SQLite error \(code): \(message)"
    }
}
