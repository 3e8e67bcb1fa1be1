extension Migrations {
    /// The advisory lock a runner holds while it migrates, so runners started together migrate one at a time.
    private static let advisoryLock = 0x7665_7269_6679

    /// Brings the PostgreSQL database to the current schema in one transaction (PostgreSQL's schema changes are
    /// transactional) and records the version in the table `schema_version`: a database without verifyd's schema
    /// is created at ``StoreSchema`` at once, one at an older version takes the migrations it has not seen yet.
    static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", advisoryLock)
            try connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            let stored = try connection.query("SELECT max(version) FROM schema_version")
            let current = stored[0].optionalInt(0) ?? 0
            guard current < all.count else { return }
            if current == 0 {
                try connection.execute(StoreSchema.creation(in: .postgres))
            } else {
                for step in all[current...] where !step.sql(in: .postgres).isEmpty {
                    try connection.execute(step.sql(in: .postgres))
                }
            }
            try connection.query("DELETE FROM schema_version")
            try connection.query("INSERT INTO schema_version (version) VALUES ($1)", all.count)
        }
    }

    /// Whether the database at `address` holds verifyd's schema at any version (its table `schema_version`),
    /// asked over a connection of its own that changes nothing.
    static func hasSchema(address: String) throws -> Bool {
        let connection = try PostgresConnection(address: address)
        return try connection.query("SELECT to_regclass('schema_version') IS NOT NULL")[0].text(0) == "t"
    }
}
