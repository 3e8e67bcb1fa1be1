extension Migrations {
    /// The advisory lock a runner holds while it migrates, so runners started together migrate one at a time.
    private static let advisoryLock = 0x7665_7269_6679

    /// Applies the migrations the PostgreSQL database has not seen yet, in one transaction (PostgreSQL's
    /// schema changes are transactional), and records the version in the table `schema_version`.
    static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", advisoryLock)
            try connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            let stored = try connection.query("SELECT max(version) FROM schema_version")
            let current = stored[0].optionalInt(0) ?? 0
            guard current < all.count else { return }
            for step in all[current...] { try connection.execute(step.postgres) }
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
