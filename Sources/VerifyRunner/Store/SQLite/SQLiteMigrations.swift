extension Migrations {
    /// Applies the migrations the SQLite database has not seen yet, each in its own transaction, and records
    /// each in `PRAGMA user_version`.
    static func migrate(_ connection: SQLiteConnection) throws {
        let current = try connection.integerPragma("user_version")
        for (index, step) in all.enumerated() where index >= current {
            try connection.transaction {
                try connection.execute(step.sqlite)
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}
