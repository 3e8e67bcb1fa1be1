import CSQLite

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

extension SQLiteError {
    /// Throws unless `rc` is `SQLITE_OK`, `SQLITE_ROW` or `SQLITE_DONE`: the one place SQLite result
    /// codes are compared, with the connection's message for the error.
    @inline(__always)
    static func check(_ rc: Int32, database: OpaquePointer?, sql: String?) throws(SQLiteError) {
        switch rc {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE: return
        default: throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(database)), sql: sql)
        }
    }
}
