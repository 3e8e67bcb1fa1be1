import Foundation
import Testing
import VerifyRunner

/// The built `verifyd` when its store cannot be written: a full disk stops the run with a clear
/// message, the store stays intact, and the next run completes the job without sending a number twice; a
/// read-only store is refused before anything is claimed.
///
/// A full disk is the kernel's file-size limit (`ulimit -f`): a write past it is cut short like a write to
/// a full disk, and SQLite fails the transaction the same way. A read-only store is a read-only bind mount
/// in a private mount namespace (`unshare`), which binds root too.
@Suite(.serialized) struct StoreFailureTests {
    /// `bash -c 'ulimit -f KIB; exec verifyd …'`.
    private static func fileSizeLimit(kibibytes: Int) -> [String] {
        ["/bin/bash", "-c", "ulimit -f \(kibibytes) && exec \"$0\" \"$@\""]
    }

    private static func size(of path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test func aDiskThatFillsUpWhileSendingStopsTheRunAndTheNextRunSendsEachNumberOnce() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let rows = 3000
        try spool.write(EndToEndTests.mobilesCSV(count: rows), to: "incoming/full.csv")
        let arguments = [
            "run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate", "0", "--in-doubt", "check",
            "--in-doubt-margin", "2s",
        ]
        // Intake alone (--max-sends 0 holds the job), so that the disk fills up while sending.
        let intake = try await BuiltBinary.run(
            arguments + ["--max-sends", "0"], environment: SandboxProcess.credentials)
        try #require(intake.status == 0, "stderr: \(intake.stderr.suffix(2000))")
        let store = spool.path + "/verifyd.sqlite"
        let limit = try Self.size(of: store) / 1024 + 64

        let full = try await BuiltBinary.run(
            arguments + ["--max-sends", "\(rows)"], environment: SandboxProcess.credentials,
            launcher: Self.fileSizeLimit(kibibytes: limit))
        #expect(full.status == 1)
        #expect(
            full.stderr.contains("the state store \(store) cannot be written"), "stderr: \(full.stderr.suffix(2000))")
        #expect(full.stderr.contains("File too large"), "the system's reason is named")
        let startsBeforeTheFailure = try await sandbox.stats().starts
        #expect(startsBeforeTheFailure < rows, "the run stopped at the failure")
        #expect(StoreIntegrity.check(store) == "ok")

        let counts = try await runToTheEndSendingEachNumberOnce(
            arguments + ["--max-sends", "\(rows)"], spool: spool, sandbox: sandbox, rows: rows)
        print(
            "disk full while sending: \(startsBeforeTheFailure) of \(rows) starts before the failure, "
                + "\(counts.statusQueries) status queries after it, 0 numbers sent twice")
    }

    @Test func aDiskThatFillsUpDuringIntakeLeavesTheFileToBeReadAgain() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let created = try await BuiltBinary.run(["run", "--once", "--dry-run", "--spool", spool.path])
        try #require(created.status == 0, "stderr: \(created.stderr)")
        let store = spool.path + "/verifyd.sqlite"
        let limit = try Self.size(of: store) / 1024 + 64
        let rows = 20_000
        try spool.write(EndToEndTests.mobilesCSV(count: rows), to: "incoming/big.csv")

        let full = try await BuiltBinary.run(
            ["run", "--once", "--dry-run", "--spool", spool.path], launcher: Self.fileSizeLimit(kibibytes: limit))
        #expect(full.status == 1)
        #expect(
            full.stderr.contains("the state store \(store) cannot be written"), "stderr: \(full.stderr.suffix(2000))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/rejected").isEmpty, "not rejected")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/processing").count == 1)
        #expect(StoreIntegrity.check(store) == "ok")

        let rerun = try await BuiltBinary.run(["run", "--once", "--dry-run", "--spool", spool.path])
        #expect(rerun.status == 0, "stderr: \(rerun.stderr.suffix(2000))")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == rows)
        #expect(report.rows.allSatisfy { $0["status"] == "would_send" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/processing").isEmpty)
    }

    @Test func aReadOnlyStoreIsRefusedBeforeAnyFileIsClaimed() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let spool = folder.path + "/spool"
        let state = folder.path + "/state"
        let store = state + "/verifyd.sqlite"
        try folder.write(EndToEndTests.mobilesCSV(count: 5), to: "spool/incoming/first.csv")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let arguments = ["run", "--once", "--dry-run", "--spool", spool, "--db", store]
        let first = try await BuiltBinary.run(arguments)
        try #require(first.status == 0, "stderr: \(first.stderr)")
        try folder.write(EndToEndTests.mobilesCSV(count: 5), to: "spool/incoming/second.csv")

        // The store's folder mounted read-only for this run only.
        let readOnly = try await BuiltBinary.run(
            arguments,
            launcher: [
                "/usr/bin/unshare", "--map-root-user", "--mount", "/bin/sh", "-c",
                "mount --bind '\(state)' '\(state)' && mount -o remount,bind,ro '\(state)' && exec \"$0\" \"$@\"",
            ])
        #expect(readOnly.status == 1)
        #expect(readOnly.stderr.contains("read-only"), "stderr: \(readOnly.stderr)")
        #expect(readOnly.stderr.contains(store), "the message names the store")
        #expect(FileManager.default.fileExists(atPath: spool + "/incoming/second.csv"), "nothing claimed")
        #expect(try JobStores.open(store, creating: true).jobs().count == 1)
    }

    /// The store is written first, the files after: a job the store has finished whose file is still in
    /// `processing/` and whose report is missing (a full disk or a crash came in between) gets both at the
    /// next start.
    @Test func aJobFinishedInTheStoreButNotOnDiskGetsItsFilesAtTheNextStart() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        try spool.write(EndToEndTests.mobilesCSV(count: 5), to: "incoming/list.csv")
        let first = try await BuiltBinary.run(["run", "--once", "--dry-run", "--spool", spool.path])
        try #require(first.status == 0, "stderr: \(first.stderr)")
        let job = try #require(try JobStores.open(spool.path + "/verifyd.sqlite", creating: true).jobs().first)
        try FileManager.default.moveItem(
            atPath: spool.path + "/done/list.csv", toPath: spool.path + "/processing/\(job.id)--list.csv")
        try FileManager.default.removeItem(atPath: spool.path + "/reports/\(job.id)")

        let next = try await BuiltBinary.run(["run", "--once", "--dry-run", "--spool", spool.path])
        #expect(next.status == 0, "stderr: \(next.stderr)")
        #expect(FileManager.default.fileExists(atPath: spool.path + "/done/list.csv"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/processing").isEmpty)
        #expect(try Report(spool: spool.path).rows.count == 5)
    }
}
