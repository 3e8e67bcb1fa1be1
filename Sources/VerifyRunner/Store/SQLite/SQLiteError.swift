import CSQLite
import Glibc

/// A failed SQLite call, with SQLite's own code and message, the system's error and the SQL that
/// was attempted.
public struct SQLiteError: StoreError, Sendable {
    /// The extended result code.
    public var code: Int32
    /// `sqlite3_errmsg` at the time of the failure.
    public var message: String
    /// The statement, when one was involved.
    public var sql: String?
    /// The `errno` of the failed system call behind an I/O error (`sqlite3_system_errno`), or 0.
    public var systemErrno: Int32 = 0

    /// What the failure means for the operator, e.g. "the disk is full", for the codes that have a
    /// cause outside verifyd; `nil` for the others.
    public var meaning: String? {
        switch code & 0xff {
        case SQLITE_FULL: "the disk is full"
        case SQLITE_IOERR: "a disk read or write failed"
        case SQLITE_READONLY: "the store is read-only (file, folder or file system)"
        case SQLITE_CANTOPEN: "the file cannot be opened or created (does its folder exist and is it writable?)"
        case SQLITE_PERM: "permission denied"
        case SQLITE_CORRUPT, SQLITE_NOTADB: "the file is damaged or is not a verifyd store"
        case SQLITE_BUSY, SQLITE_LOCKED: "another process holds the store locked"
        default: nil
        }
    }

    /// One line naming what failed and why, e.g. `the disk is full: database or disk is full [No space
    /// left on device] (SQLite error 13, while running: COMMIT)`.
    public var description: String {
        var text = meaning.map { "\($0): \(message)" } ?? message
        if systemErrno != 0 { text += " [\(String(cString: strerror(systemErrno)))]" }
        text += " (SQLite error \(code)"
        if let sql { text += ", while running: \(sql.prefix(80))" }
        return text + ")"
    }
}

extension SQLiteError {
    /// Throws unless `rc` is `SQLITE_OK`, `SQLITE_ROW` or `SQLITE_DONE`: the one place SQLite result
    /// codes are compared, with the connection's message for the error.
    @inline(__always)
    static func check(_ rc: Int32, database: OpaquePointer?, sql: String?) throws(SQLiteError) {
        switch rc {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE: return
        default:
            // The system's errno means something only for the codes that come from a system call. SQLite
            // records it for most, but not for a failed COMMIT, whose errno is still the write's.
            let lastErrno = errno
            let fromSystemCall = [SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_READONLY].contains(rc & 0xff)
            let recorded = database.map { sqlite3_system_errno($0) } ?? 0
            throw SQLiteError(
                code: rc, message: String(cString: sqlite3_errmsg(database)), sql: sql,
                systemErrno: fromSystemCall ? (recorded != 0 ? recorded : lastErrno) : 0)
        }
    }
}
