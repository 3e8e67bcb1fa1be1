import CSQLite

/// SQLite's own verdict on a store file, read over a separate read-only connection.
enum StoreIntegrity {
    /// The result of `PRAGMA integrity_check`: `"ok"` for an intact file, otherwise the problems.
    static func check(_ path: String) -> String {
        var database: OpaquePointer?
        defer { sqlite3_close_v2(database) }
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            return "cannot open: " + String(cString: sqlite3_errmsg(database))
        }
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_prepare_v2(database, "PRAGMA integrity_check", -1, &statement, nil) == SQLITE_OK else {
            return "cannot check: " + String(cString: sqlite3_errmsg(database))
        }
        var lines: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            lines.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
        }
        return lines.joined(separator: "\n")
    }
}
