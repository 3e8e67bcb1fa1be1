extension Migrations {
    /// Brings the SQLite database to the current schema in one transaction and records the version in
    /// `PRAGMA user_version`: an empty database (version 0, no tables) is created at ``StoreSchema`` at once, one at
    /// an older version takes the migrations it has not seen yet.
    ///
    /// Processes that open one store at the same moment (a run and a `status`, say) migrate one at a time: the
    /// transaction starts with `BEGIN IMMEDIATE`, which takes the database's write lock (waiting for it through the
    /// busy timeout), and the version is read again under that lock, so a step another process applied meanwhile
    /// is not applied twice. A store already up to date is only read: no write lock is taken.
    static func migrate(_ connection: SQLiteConnection) throws {
        guard try connection.integerPragma("user_version") < all.count else { return }
        try connection.transaction {
            let current = try connection.integerPragma("user_version")
            guard current < all.count else { return }
            if current == 0, try connection.statement("SELECT count(*) FROM sqlite_schema").scalarInt() == 0 {
                try connection.execute(StoreSchema.creation(in: .sqlite))
            } else {
                for step in all[current...] { try connection.execute(step.sql(in: .sqlite)) }
            }
            try connection.execute("PRAGMA user_version = \(all.count)")
        }
    }
}
