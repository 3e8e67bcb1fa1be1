import Foundation
import Testing

@testable import VerifyRunner

/// The commands that only look at a store — `status`, `report`, `runners`, `outcomes` — where there is none: they
/// create no spool folder, no store file and no schema, name the path they looked at, and exit 1. A store that is
/// there, even at an older schema version, they use.
@Suite struct ReadOnlyCommandTests {
    /// Each read-only command, without `--spool` and `--db`.
    static let commands: [[String]] = [
        ["status"], ["status", "--json"], ["status", OldStores.jobID], ["report", OldStores.jobID], ["runners"],
        ["outcomes"], ["outcomes", OldStores.jobID],
    ]

    /// What is in `folder`, every level down.
    private static func contents(of folder: TemporaryDirectory) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: folder.path).sorted()
    }

    @Test(arguments: commands) func aMistypedSpoolIsNamedAndNothingIsCreated(command: [String]) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let typo = folder.path + "/jobz"

        let result = try await BuiltBinary.run(command + ["--spool", typo])

        #expect(result.status == 1)
        #expect(
            result.stderr.contains("no spool at \(typo) (looked for \(typo)/verifyd.sqlite): nothing to show"),
            "stderr: \(result.stderr)")
        #expect(try Self.contents(of: folder).isEmpty)
    }

    @Test(arguments: commands) func aMissingStoreFileIsNamedAndNotCreated(command: [String]) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let spool = folder.path + "/spool"
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: false)
        let store = folder.path + "/state.sqlite"

        let named = try await BuiltBinary.run(command + ["--spool", spool, "--db", store])
        let inTheSpool = try await BuiltBinary.run(command + ["--spool", spool])

        #expect(named.status == 1 && inTheSpool.status == 1)
        #expect(named.stderr.contains("no state store at \(store): nothing to show"), "stderr: \(named.stderr)")
        #expect(
            inTheSpool.stderr.contains("no state store at \(spool)/verifyd.sqlite: nothing to show"),
            "stderr: \(inTheSpool.stderr)")
        #expect(try Self.contents(of: folder) == ["spool"])
    }

    @Test(arguments: commands)
    func anEmptyPostgreSQLDatabaseIsNotAStoreAndGetsNoTables(command: [String]) async throws {
        let (server, address) = try await PostgresServer.newSharedDatabase()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }

        let result = try await BuiltBinary.run(command + ["--spool", folder.path + "/spool", "--db", address])

        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "no verifyd store in the database \(address) (it has no table schema_version): nothing to show"),
            "stderr: \(result.stderr)")
        let relations = try server.psql(
            address, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
        #expect(relations == "0", "no table, index or sequence")
        #expect(try Self.contents(of: folder).isEmpty)
    }

    /// `report` and `outcomes` write into the spool's `reports/`: with a store named by `--db` and a spool that is
    /// not there, they say so and create nothing.
    @Test(arguments: [["report", OldStores.jobID], ["outcomes", OldStores.jobID]])
    func reportFilesAreNotWrittenIntoAMistypedSpool(command: [String]) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = folder.path + "/state.sqlite"
        try OldStores.sqlite(at: store)
        let typo = folder.path + "/jobz"

        let result = try await BuiltBinary.run(command + ["--spool", typo, "--db", store])

        #expect(result.status == 1)
        #expect(
            result.stderr.contains("no spool at \(typo): nowhere to write report files"),
            "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: typo))
    }

    /// A store an older verifyd left is migrated by the commands that only look, as by `run`, and shown.
    @Test func aStoreAtAnOlderVersionIsMigratedAndShown() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let spool = Spool(root: folder.path + "/spool")
        try spool.prepare()
        try OldStores.sqlite(at: spool.defaultDatabase)

        let status = try await BuiltBinary.run(["status", OldStores.jobID, "--spool", spool.root])
        let report = try await BuiltBinary.run(["report", OldStores.jobID, "--spool", spool.root])

        #expect(status.status == 0, "stderr: \(status.stderr)")
        #expect(status.stdout.contains(OldStores.jobID) && status.stdout.contains("1/1 100%"), "\(status.stdout)")
        #expect(report.status == 0, "stderr: \(report.stderr)")
        let rows = try Report(spool: spool.root, jobID: OldStores.jobID).rows
        #expect(rows.map { $0["status"] } == ["sent"] && rows.map { $0["e164"] } == ["+12025550100"])
        #expect(try SQLiteConnection(path: spool.defaultDatabase).integerPragma("user_version") == Migrations.all.count)
    }
}
