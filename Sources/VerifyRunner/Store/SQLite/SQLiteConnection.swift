import CSQLite

/// One open SQLite database connection (the raw `sqlite3*` and its lifetime).
///
/// Not thread-safe: ``SQLiteJobStore`` confines it to one serial DispatchQueue. Result codes are compared
/// in one place, ``SQLiteError/check(_:database:sql:)``.
final class SQLiteConnection {
    private let handle: OpaquePointer
    /// Prepared statements kept for the connection's lifetime, by SQL text.
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens the database at `path`, creating the file when there is none if `creating`; without it, a missing
    /// file fails with `SQLITE_CANTOPEN` and nothing is created.
    ///
    /// A file SQLite creates here gets 0644 less the umask (``SQLiteJobStore`` creates its file 0600 first);
    /// the connection uses `SQLITE_OPEN_NOMUTEX` because one queue owns it.
    init(path: String, creating: Bool = true) throws(SQLiteError) {
        Self.configureLibrary
        var raw: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (creating ? SQLITE_OPEN_CREATE : 0)
        let rc = sqlite3_open_v2(path, &raw, flags, nil)
        guard let raw else {
            throw SQLiteError(code: rc, message: "cannot open database at \(path)", sql: nil)
        }
        sqlite3_extended_result_codes(raw, 1)
        do throws(SQLiteError) {
            try SQLiteError.check(rc, database: raw, sql: nil)
            // SQLite opens a file it may not write read-only without a word; the store must be
            // writable, so that is an error here, before anything is claimed, not at the first commit.
            if sqlite3_db_readonly(raw, "main") == 1 {
                throw SQLiteError(code: SQLITE_READONLY, message: "it can only be opened for reading", sql: nil)
            }
        } catch {
            sqlite3_close_v2(raw)
            throw SQLiteError(
                code: error.code, message: "\(error.message) (\(path))", sql: nil, systemErrno: error.systemErrno)
        }
        handle = raw
    }

    /// Process-wide settings, applied once before the first connection opens.
    private static let configureLibrary: Void = { _ = csqlite_disable_memory_statistics() }()

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Turns a result code into a thrown ``SQLiteError`` unless it is `SQLITE_OK`, `SQLITE_ROW` or
    /// `SQLITE_DONE`.
    func check(_ rc: Int32, sql: String? = nil) throws(SQLiteError) {
        try SQLiteError.check(rc, database: handle, sql: sql)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(SQLiteError) {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql: sql)
    }

    /// A prepared statement for `sql`, compiled once and then reused (reset and unbound).
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil), sql: sql)
        guard let raw else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement", sql: sql) }
        let statement = SQLiteStatement(handle: raw, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE`), committing on return and rolling back on
    /// a thrown error.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The value of an integer pragma, e.g. `user_version`.
    func integerPragma(_ name: String) throws(SQLiteError) -> Int {
        let statement = try self.statement("PRAGMA \(name)")
        return try statement.scalarInt()
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }
}

@available(*, unavailable)
extension SQLiteConnection: Sendable {}
