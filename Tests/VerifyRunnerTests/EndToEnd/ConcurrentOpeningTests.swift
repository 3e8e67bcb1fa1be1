import Foundation
import Testing

@testable import VerifyRunner

/// Processes of the built binary that open one store at the same moment (``StartingLine``), on SQLite and on
/// PostgreSQL: every one succeeds, and the store ends with the schema a store made by one process has — each
/// migration applied once, whoever came first.
@Suite struct ConcurrentOpeningTests {
    /// How many processes open the store together.
    private static let processes = 8

    /// `run --once --dry-run` of the spool number `index` under `folder` (one run per spool) on the store at
    /// `address`: on an empty spool a run opens the store and ends at once.
    private static func run(_ folder: TemporaryDirectory, spool index: Int, store address: String) -> [String] {
        ["run", "--once", "--dry-run", "--spool", "\(folder.path)/spool\(index)", "--db", address]
    }

    /// Half runs (``run(_:spool:store:)``), half `status --json` of the store at `address`.
    private static func runsAndStatuses(_ folder: TemporaryDirectory, store address: String) -> [[String]] {
        (0..<processes).map { index in
            index.isMultiple(of: 2) ? run(folder, spool: index, store: address) : ["status", "--json", "--db", address]
        }
    }

    /// Runs only (``run(_:spool:store:)``), on the store at `address`.
    private static func runs(_ folder: TemporaryDirectory, store address: String) -> [[String]] {
        (0..<processes).map { run(folder, spool: $0, store: address) }
    }

    /// Expects every process to have exited 0; the failures' messages say why not.
    private static func expectEverySucceeded(_ outputs: [BuiltBinary.Output], _ commands: [[String]]) {
        let failures = zip(commands, outputs).filter { $0.1.status != 0 }.map { command, output in
            "verifyd \(command.prefix(2).joined(separator: " ")) exited \(output.status): \(output.stderr)"
        }
        #expect(outputs.count - failures.count == processes, "\(failures.joined(separator: "\n"))")
    }

    /// What each `status --json` of `outputs` that succeeded listed: the row counts of each job, by job id.
    private static func jobsListed(
        _ outputs: [BuiltBinary.Output], _ commands: [[String]]
    ) throws -> [[String: [String: Int]]] {
        try zip(commands, outputs).filter { $0.0[0] == "status" && $0.1.status == 0 }.map { _, output in
            let listed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
            let jobs = try #require(listed as? [[String: Any]], "\(output.stdout)")
            return Dictionary(
                uniqueKeysWithValues: jobs.map { ($0["id"] as? String ?? "", $0["counts"] as? [String: Int] ?? [:]) })
        }
    }

    // MARK: SQLite

    /// Every table and index of the SQLite store at `path`, with the SQL that made it, and its `user_version`.
    private static func sqliteSchema(_ path: String) throws -> [String] {
        let connection = try SQLiteConnection(path: path, creating: false)
        let entries = try connection.statement(
            "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
        var schema: [String] = []
        while try entries.step() { schema.append(entries.text(0)) }
        return schema + ["user_version \(try connection.integerPragma("user_version"))"]
    }

    /// The schema of a store that one process made, in `folder`.
    private static func sqliteSchemaOfANewStore(in folder: TemporaryDirectory) throws -> [String] {
        let path = folder.path + "/one-process.sqlite"
        _ = try SQLiteJobStore(path: path)
        return try sqliteSchema(path)
    }

    /// The schema of an old store (``OldStores``) that one process migrated, in `folder`: a migrated store keeps
    /// tables a new SQLite store is made without, so it is compared with one migrated alike.
    private static func sqliteSchemaOfAnOldStoreMigrated(in folder: TemporaryDirectory) throws -> [String] {
        let path = folder.path + "/one-process-old.sqlite"
        try OldStores.sqlite(at: path)
        _ = try SQLiteJobStore(path: path)
        return try sqliteSchema(path)
    }

    @Test func processesOpeningANewSQLiteStoreTogetherAllSucceed() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // A new store as a starting run makes it before SQLite first opens it: an empty file (the commands that
        // only look at a store need it to be there).
        let store = folder.path + "/verifyd.sqlite"
        try #require(
            FileManager.default.createFile(atPath: store, contents: nil, attributes: [.posixPermissions: 0o600]))
        let commands = Self.runsAndStatuses(folder, store: store)

        let outputs = try await StartingLine.runTogether(commands)

        Self.expectEverySucceeded(outputs, commands)
        #expect(try Self.jobsListed(outputs, commands).allSatisfy(\.isEmpty))
        #expect(try Self.sqliteSchema(store) == Self.sqliteSchemaOfANewStore(in: folder))
    }

    @Test func processesOpeningAnOldSQLiteStoreTogetherMigrateItOnce() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = folder.path + "/verifyd.sqlite"
        try OldStores.sqlite(at: store)
        let commands = Self.runsAndStatuses(folder, store: store)

        let outputs = try await StartingLine.runTogether(commands)

        Self.expectEverySucceeded(outputs, commands)
        #expect(try Self.jobsListed(outputs, commands).allSatisfy { $0 == [OldStores.jobID: ["sent": 1]] })
        #expect(try Self.sqliteSchema(store) == Self.sqliteSchemaOfAnOldStoreMigrated(in: folder))
    }

    // MARK: PostgreSQL

    /// Every column, index, sequence and function of the PostgreSQL store at `address`, and its `schema_version`
    /// rows.
    private static func postgresSchema(_ server: PostgresServer, _ address: String) throws -> [String] {
        try server.psql(
            address,
            """
            SELECT 'column ' || table_name || ' ' || lpad(ordinal_position::text, 3, '0') || ' ' || column_name || ' '
                   || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
              FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL SELECT 'sequence ' || sequence_name FROM information_schema.sequences
              WHERE sequence_schema = 'public'
            UNION ALL SELECT 'function ' || oid::regprocedure::text FROM pg_proc
              WHERE pronamespace = 'public'::regnamespace
            UNION ALL SELECT 'schema_version ' || version FROM schema_version
            ORDER BY 1
            """
        ).split(separator: "\n").map(String.init)
    }

    /// The schema of a store that one process made, in a new database of `server`.
    private static func postgresSchemaOfANewStore(_ server: PostgresServer) throws -> [String] {
        let address = try server.createDatabase()
        _ = try PostgresJobStore(address: address)
        return try postgresSchema(server, address)
    }

    /// The schema of an old store (``OldStores``) that one process migrated, in a new database of `server`: its
    /// columns' positions keep the gaps of dropped columns, so it is compared with one migrated alike.
    private static func postgresSchemaOfAnOldStoreMigrated(_ server: PostgresServer) throws -> [String] {
        let address = try server.createDatabase()
        try OldStores.postgres(address)
        _ = try PostgresJobStore(address: address)
        return try postgresSchema(server, address)
    }

    @Test func processesOpeningANewPostgreSQLStoreTogetherAllSucceed() async throws {
        let (server, address) = try await PostgresServer.newSharedDatabase()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // Runs only: the commands that only look at a store find none in an empty database until a run made it.
        let commands = Self.runs(folder, store: address)

        let outputs = try await StartingLine.runTogether(commands)

        Self.expectEverySucceeded(outputs, commands)
        #expect(try Self.postgresSchema(server, address) == Self.postgresSchemaOfANewStore(server))
    }

    @Test func processesOpeningAnOldPostgreSQLStoreTogetherMigrateItOnce() async throws {
        let (server, address) = try await PostgresServer.newSharedDatabase()
        try OldStores.postgres(address)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let commands = Self.runsAndStatuses(folder, store: address)

        let outputs = try await StartingLine.runTogether(commands)

        Self.expectEverySucceeded(outputs, commands)
        #expect(try Self.jobsListed(outputs, commands).allSatisfy { $0 == [OldStores.jobID: ["sent": 1]] })
        #expect(try Self.postgresSchema(server, address) == Self.postgresSchemaOfAnOldStoreMigrated(server))
    }
}
