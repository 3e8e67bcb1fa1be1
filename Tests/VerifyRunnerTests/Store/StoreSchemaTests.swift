import Foundation
import Testing

@testable import VerifyRunner

/// A new store is made at the current schema (``StoreSchema``), an old one migrated to it, and the two end alike;
/// and the SQLite and the PostgreSQL schemas are one. Every comparison reads the databases' catalogs, not the SQL
/// that made them.
@Suite struct StoreSchemaTests {
    /// Tables only the PostgreSQL schema has, each with why.
    private static let tablesOnlyPostgresHas: [String: String] = [
        "rate_budget": "the token bucket of --rate that runners sharing a PostgreSQL store draw from",
        "row_leases": "ranges of rows leased to runners; one runner per SQLite spool needs no leases",
        "schema_version": "PostgreSQL records the schema's version in a table, SQLite in PRAGMA user_version",
    ]

    /// Columns whose default differs between the two schemas, as `table.column`, each with why.
    private static let defaultsThatDiffer: [String: String] = [
        "jobs.number": "PostgreSQL numbers jobs from the sequence job_numbers (runners on several hosts); "
            + "SQLite takes one above the highest under its write lock"
    ]

    // MARK: SQLite

    /// Every table of the SQLite database at `path` (but SQLite's own), by name: whether it has no rowid, then
    /// per column its position, name, declared type, NOT NULL, default and place in the primary key; and every
    /// index, by table and name: whether unique, where it comes from and its columns.
    private static func sqliteCatalog(_ path: String) throws -> [String: [String]] {
        let connection = try SQLiteConnection(path: path, creating: false)
        var catalog: [String: [String]] = [:]
        let tables = try connection.statement(
            "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        var tableNames: [String] = []
        while try tables.step() {
            tableNames.append(tables.text(0))
            catalog["table " + tables.text(0)] = ["without rowid \(tables.int(1))"]
        }
        for table in tableNames {
            let columns = try connection.statement(
                "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid")
            try columns.bind(table, at: 1)
            while try columns.step() {
                catalog["table " + table, default: []].append(
                    "\(columns.int(0)) \(columns.text(1)) \(columns.text(2)) notnull \(columns.int(3)) "
                        + "default \(columns.optionalText(4) ?? "none") pk \(columns.int(5))")
            }
            let indexes = try connection.statement(
                "SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY name")
            try indexes.bind(table, at: 1)
            var indexNames: [(String, String)] = []
            while try indexes.step() {
                indexNames.append((indexes.text(0), "unique \(indexes.int(1)) \(indexes.text(2))"))
            }
            for (index, description) in indexNames {
                let indexColumns = try connection.statement(
                    "SELECT coalesce(name, 'rowid') FROM pragma_index_info(?) ORDER BY seqno")
                try indexColumns.bind(index, at: 1)
                var names: [String] = []
                while try indexColumns.step() { names.append(indexColumns.text(0)) }
                catalog["index \(table).\(index)"] = [description, "columns " + names.joined(separator: ", ")]
            }
        }
        return catalog
    }

    @Test func aNewSQLiteStoreHasTheSchemaAnOldOneIsMigratedTo() throws {
        try withTemporaryDirectory { directory in
            let new = directory.path + "/new.sqlite"
            let old = directory.path + "/old.sqlite"
            _ = try SQLiteJobStore(path: new)
            try OldStores.sqlite(at: old)
            _ = try SQLiteJobStore(path: old)
            let made = try Self.sqliteCatalog(new)
            let migrated = try Self.sqliteCatalog(old)
            let differing = Set(made.keys).union(migrated.keys).sorted().filter { made[$0] != migrated[$0] }
            #expect(!made.isEmpty)
            #expect(
                made == migrated,
                "\(differing.map { "\($0): new \(made[$0] ?? []), migrated \(migrated[$0] ?? [])" })")
            for path in [new, old] {
                let connection = try SQLiteConnection(path: path, creating: false)
                #expect(try connection.integerPragma("user_version") == Migrations.all.count)
            }
        }
    }

    @Test func aNewSQLiteStoreHasOnlyTheTablesItUses() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path + "/new.sqlite"
            _ = try SQLiteJobStore(path: path)
            let tables = try Self.sqliteCatalog(path).keys.filter { $0.hasPrefix("table ") }
            #expect(
                Set(tables) == [
                    "table jobs", "table job_rows", "table job_request_seconds", "table runners", "table job_actions",
                ])
        }
    }

    // MARK: PostgreSQL

    /// Every column (per table in order, without the gaps dropped columns leave), index, sequence, function and
    /// table storage option of verifyd's PostgreSQL database at `address`, with its `schema_version` and
    /// `rate_budget` rows.
    private static func postgresCatalog(_ server: PostgresServer, _ address: String) throws -> [String] {
        try server.psql(
            address,
            """
            SELECT 'column ' || table_name || ' '
                   || lpad((row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position))::text, 3, '0')
                   || ' ' || column_name || ' ' || data_type || ' nullable ' || is_nullable || ' default '
                   || coalesce(column_default, 'none')
              FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL SELECT 'sequence ' || sequence_name || ' ' || data_type FROM information_schema.sequences
              WHERE sequence_schema = 'public'
            UNION ALL SELECT 'function ' || oid::regprocedure::text || ' ' || md5(prosrc) FROM pg_proc
              WHERE pronamespace = 'public'::regnamespace
            UNION ALL SELECT 'options ' || relname || ' ' || array_to_string(reloptions, ',') FROM pg_class
              WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL
            UNION ALL SELECT 'schema_version ' || version FROM schema_version
            UNION ALL SELECT 'rate_budget rows ' || count(*) FROM rate_budget
            ORDER BY 1
            """
        ).split(separator: "\n").map(String.init)
    }

    /// The server and `psql` are waited for off Swift's cooperative pool, which the suite's other tests share.
    @Test func aNewPostgreSQLStoreHasTheSchemaAnOldOneIsMigratedTo() async throws {
        let (newCatalog, oldCatalog) = try await offThePool {
            let server = try PostgresServer.shared()
            let new = try server.createDatabase()
            let old = try server.createDatabase()
            _ = try PostgresJobStore(address: new)
            try OldStores.postgres(old)
            _ = try PostgresJobStore(address: old)
            return (try Self.postgresCatalog(server, new), try Self.postgresCatalog(server, old))
        }
        #expect(newCatalog == oldCatalog)
        #expect(newCatalog.contains("schema_version \(Migrations.all.count)"))
    }

    // MARK: Both

    /// The columns of the SQLite store at `path`, as `table.column TYPE notnull default`.
    private static func sqliteColumns(_ path: String) throws -> [String] {
        let connection = try SQLiteConnection(path: path, creating: false)
        let columns = try connection.statement(
            """
            SELECT t.name || '.' || c.name, c.type, c."notnull" OR c.pk > 0, coalesce(c.dflt_value, 'none')
              FROM pragma_table_list AS t, pragma_table_info(t.name) AS c
             WHERE t.schema = 'main' AND t.type = 'table' AND t.name NOT LIKE 'sqlite_%'
             ORDER BY t.name, c.cid
            """)
        var lines: [String] = []
        while try columns.step() {
            lines.append("\(columns.text(0)) \(columns.text(1)) \(columns.int(2)) \(columns.text(3))")
        }
        return lines
    }

    /// The columns of verifyd's PostgreSQL database at `address` in SQLite's terms, as `table.column TYPE notnull
    /// default`: `bigint` and `integer` are `INTEGER`, `double precision` is `REAL`, `text` is `TEXT`; a default's
    /// cast to its column's type is left out.
    private static func postgresColumns(_ server: PostgresServer, _ address: String) throws -> [String] {
        try server.psql(
            address,
            """
            SELECT table_name || '.' || column_name || ' '
                   || CASE data_type WHEN 'bigint' THEN 'INTEGER' WHEN 'integer' THEN 'INTEGER'
                                     WHEN 'double precision' THEN 'REAL' WHEN 'text' THEN 'TEXT'
                                     ELSE data_type END
                   || ' ' || (is_nullable = 'NO')::int || ' '
                   || coalesce(regexp_replace(column_default, '::text$', ''), 'none')
              FROM information_schema.columns WHERE table_schema = 'public'
             ORDER BY table_name, ordinal_position
            """
        ).split(separator: "\n").map(String.init)
    }

    /// `columns` without those of `tables`, and with the default of each column of `defaults` left out.
    private static func comparable(_ columns: [String], without tables: some Collection<String>) -> [String] {
        columns.compactMap { line in
            let qualified = String(line.prefix { $0 != " " })
            guard !tables.contains(String(qualified.prefix { $0 != "." })) else { return nil }
            guard defaultsThatDiffer[qualified] != nil else { return line }
            return line.split(separator: " ").dropLast().joined(separator: " ")
        }
    }

    @Test func theSQLiteAndThePostgreSQLSchemasAreOne() async throws {
        let postgres = try await offThePool {
            let server = try PostgresServer.shared()
            let address = try server.createDatabase()
            _ = try PostgresJobStore(address: address)
            return try Self.postgresColumns(server, address)
        }
        try withTemporaryDirectory { directory in
            let path = directory.path + "/s.sqlite"
            _ = try SQLiteJobStore(path: path)
            let sqlite = try Self.sqliteColumns(path)
            #expect(!sqlite.isEmpty)
            #expect(
                Self.comparable(sqlite, without: [])
                    == Self.comparable(postgres, without: Self.tablesOnlyPostgresHas.keys))
            let postgresTables = Set(postgres.map { String($0.prefix { $0 != "." }) })
            #expect(Set(Self.tablesOnlyPostgresHas.keys).isSubset(of: postgresTables))
        }
    }
}
