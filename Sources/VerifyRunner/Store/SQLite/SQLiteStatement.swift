import CSQLite

/// A prepared statement: bind parameters (1-based), step, read columns (0-based).
///
/// Owned by its ``SQLiteConnection``'s cache and finalized with it; not thread-safe.
final class SQLiteStatement {
    private let handle: OpaquePointer
    /// The connection's `sqlite3*`, for error messages.
    private let database: OpaquePointer?
    private let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.database = sqlite3_db_handle(handle)
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and clears its bindings for the next use.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds parameters 1…n in order; `nil` binds NULL.
    @discardableResult
    func bind(_ values: (any SQLiteBindable)?...) throws(SQLiteError) -> SQLiteStatement {
        try bind(values)
    }

    /// ``bind(_:)-(SQLiteBindable?...)`` with the values as an array.
    @discardableResult
    func bind(_ values: [(any SQLiteBindable)?]) throws(SQLiteError) -> SQLiteStatement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc = value?.bind(to: handle, at: index) ?? sqlite3_bind_null(handle, index)
            try SQLiteError.check(rc, database: database, sql: sql)
        }
        return self
    }

    /// Binds `value` as parameter `index` (1-based); `nil` binds NULL. The typed form, for hot loops
    /// that rebind every parameter of a statement after ``rewind()``.
    func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        if var value, !value.isEmpty {
            rc = value.withUTF8 { text in
                sqlite3_bind_text(handle, index, text.baseAddress, Int32(text.count), csqlite_transient())
            }
        } else if value != nil {
            rc = sqlite3_bind_text(handle, index, "", 0, csqlite_transient())
        } else {
            rc = sqlite3_bind_null(handle, index)
        }
        try SQLiteError.check(rc, database: database, sql: sql)
    }

    /// Binds `value` as parameter `index` (1-based); `nil` binds NULL.
    func bind(_ value: Int?, at index: Int32) throws(SQLiteError) {
        let rc = value.map { sqlite3_bind_int64(handle, index, Int64($0)) } ?? sqlite3_bind_null(handle, index)
        try SQLiteError.check(rc, database: database, sql: sql)
    }

    /// Resets the statement for the next step but keeps its bindings.
    func rewind() { sqlite3_reset(handle) }

    /// Advances to the next row; `false` when the statement is done.
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        try SQLiteError.check(rc, database: database, sql: sql)
        return rc == SQLITE_ROW
    }

    /// Steps until done (for statements that return no rows) and resets.
    func run() throws(SQLiteError) {
        while try step() {}
        rewind()
    }

    /// The first column of the first row as an integer (0 when there is no row), then resets the
    /// statement: a statement left mid-result would keep its read snapshot open, and with it stop WAL
    /// checkpoints, so the -wal file would grow for as long as the process runs.
    func scalarInt() throws(SQLiteError) -> Int {
        defer { sqlite3_reset(handle) }
        return try step() ? int(0) : 0
    }

    /// Whether column `index` is NULL.
    func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    /// Column `index` as an integer (0 for NULL).
    func int(_ index: Int32) -> Int { Int(sqlite3_column_int64(handle, index)) }

    /// Column `index` as an integer, `nil` for NULL.
    func optionalInt(_ index: Int32) -> Int? { isNull(index) ? nil : int(index) }

    /// Column `index` as a double, `nil` for NULL.
    func optionalDouble(_ index: Int32) -> Double? { isNull(index) ? nil : sqlite3_column_double(handle, index) }

    /// Column `index` as text ("" for NULL).
    func text(_ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, index) else { return "" }
        return String(cString: bytes)
    }

    /// Column `index` as text, `nil` for NULL.
    func optionalText(_ index: Int32) -> String? { isNull(index) ? nil : text(index) }
}

@available(*, unavailable)
extension SQLiteStatement: Sendable {}

/// A Swift value that ``SQLiteStatement/bind(_:)`` knows how to bind.
protocol SQLiteBindable {
    /// Binds the value as parameter `index` of `statement`; returns SQLite's result code.
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

extension Int: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(self))
    }
}

extension Double: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_double(statement, index, self) }
}

extension Bool: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, self ? 1 : 0)
    }
}

extension String: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_text(statement, index, self, -1, csqlite_transient())
    }
}

extension SQLiteStatement: StoredColumnNames {
    /// The position of the result column named `name`, compared as SQLite compares names (ignoring ASCII case)
    /// and as C strings, so nothing is allocated.
    func position(ofColumn name: String) -> Int32? {
        name.withCString { wanted in
            (0..<sqlite3_column_count(handle)).first { sqlite3_stricmp(sqlite3_column_name(handle, $0), wanted) == 0 }
        }
    }
}
