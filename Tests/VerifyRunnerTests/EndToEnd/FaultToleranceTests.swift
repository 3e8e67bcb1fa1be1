import Foundation
import Testing
import VerifyRunner

/// The built `verifyd` against a sandbox that injects faults: nothing lost, nothing sent twice.
@Suite(.serialized) struct FaultToleranceTests {
    /// Every fault of the sandbox at once (2 % 429s: a steady stream of them makes the runner slow down,
    /// as it should, which only makes the test longer). With `--in-doubt check` on V1, a request whose fate is unknown
    /// (500, 503, a dropped connection, a reply that never comes, a 200 that is not JSON) is looked up
    /// before it is sent again, so every number gets exactly one code.
    @Test func everyRowFinishesUnderAllFaultsAtOnceAndNoNumberGetsTwoCodes() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: [
            "--fault-429", "0.01", "--fault-429-no-retry-after", "0.01", "--fault-500", "0.03", "--fault-503", "0.01",
            "--fault-drop-before", "0.01", "--fault-drop-after", "0.01", "--fault-hang", "0.001",
            "--fault-garbage", "0.01", "--jitter-ms", "20",
        ])
        defer { Task { try? await sandbox.stop() } }
        let rows = 1500
        try spool.write(EndToEndTests.mobilesCSV(count: rows), to: "incoming/faults.csv")

        let run = try await BuiltBinary.run(
            [
                "run", "--once", "--in-doubt-margin", "2s", "--spool", spool.path, "--api-base", sandbox.baseURL,
                "--rate", "0",
                "--concurrency", "32", "--timeout", "2", "--in-doubt", "check",
            ], environment: SandboxProcess.credentials)
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(2000))")

        let report = try Report(spool: spool.path)
        #expect(report.rows.count == rows)
        #expect(Set(report.rows.compactMap { $0["line"] }).count == rows, "one report row per input row")
        let statuses = Dictionary(grouping: report.rows) { $0["status"] ?? "" }.mapValues(\.count)
        let unexplained = report.rows.filter {
            !($0["status"] == "sent" || ($0["status"] == "failed" && !($0["message"] ?? "").isEmpty))
        }
        #expect(unexplained.isEmpty, "statuses: \(statuses); first: \(String(describing: unexplained.first))")

        let counts = try await sandbox.stats()
        for fault in ["429", "429_without_retry_after", "500", "503", "drop_before", "drop_after", "garbage"] {
            #expect((counts.faults[fault] ?? 0) > 0, "fault \(fault) was injected: \(counts.faults)")
        }
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 }, "no number got two codes")
        let sentNumbers = Set(report.rows.filter { $0["status"] == "sent" }.compactMap { $0["e164"] })
        #expect(sentNumbers.allSatisfy { counts.deliveredByNumber[$0] == 1 }, "every sent row's number got its code")
    }

    /// SIGTERM in the middle of a job: the run stops taking rows, lets the requests in flight finish,
    /// records them and exits 0; the next run completes the job, and no number gets two codes.
    @Test func sigtermStopsCleanlyAndTheNextRunCompletesTheJob() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "50"])
        defer { Task { try? await sandbox.stop() } }
        let rows = 3000
        try spool.write(EndToEndTests.mobilesCSV(count: rows), to: "incoming/term.csv")
        let arguments = [
            "run", "--once", "--in-doubt-margin", "2s", "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate",
            "0", "--concurrency", "8",
            "--shutdown-grace", "5",
        ]

        // Once the job is well under way (the sandbox has received its 300th start), stop it.
        let stop = try sandbox.arm(SIGTERM, atStarts: 300)
        let process = try BuiltBinary.start(arguments, environment: SandboxProcess.credentials)
        stop.aim(at: process)
        try #require(await stop.sent(orEndOf: process) != nil, "the run was under way when it was stopped")
        #expect(try await process.exitStatus() == 0)
        let afterStop = try await sandbox.stats()
        #expect(afterStop.starts < rows, "the run stopped before the end")

        let statusOutput = try await BuiltBinary.run(["status", "--json", "--spool", spool.path])
        let jobs = try #require(
            try JSONSerialization.jsonObject(with: Data(statusOutput.stdout.utf8)) as? [[String: Any]])
        #expect(jobs.first?["state"] as? String == "queued")
        #expect(((jobs.first?["counts"] as? [String: Int])?["unfinished"] ?? 0) > 0)

        try await runToTheEndSendingEachNumberOnce(arguments, spool: spool, sandbox: sandbox, rows: rows)
    }

    /// Requests that never return (`--fault-hang 1`) when SIGTERM comes: after `--shutdown-grace` they are
    /// abandoned, recorded in doubt, and the run exits 0; the next run asks the API about each of them
    /// (`--in-doubt check`) instead of sending it again.
    @Test func theShutdownGraceAbandonsRequestsThatNeverReturnAndTheNextRunChecksThem() async throws {
        let job = try await HangingJob.start()
        defer { job.remove() }
        let process = try BuiltBinary.start(
            job.arguments + ["--shutdown-grace", "1"], environment: SandboxProcess.credentials)
        try #require(try await job.sandbox.waitForStarts(job.rows, of: process) == job.rows, "every request hangs")
        process.terminate()
        #expect(try await process.exitStatus() == 0)
        let store = try JobStores.open(job.spool.path + "/verifyd.sqlite", creating: true)
        let record = try #require(try store.jobs().first)
        #expect(
            try store.statusCounts(jobID: record.id) == ["unfinished": job.rows], "every row waits for the next run")

        try await job.expectTheNextRunChecksEveryRow()
    }

    /// A second signal while requests hang ends the run at once (exit 130), as consistent as a kill -9:
    /// the rows stay marked in flight, and the next run checks them instead of sending them again.
    @Test func aSecondSignalAbortsAtOnceAndTheStoreStaysConsistent() async throws {
        let job = try await HangingJob.start()
        defer { job.remove() }
        let stderrFile = job.spool.path + "/stderr.txt"
        let process = try BuiltBinary.start(
            job.arguments + ["--shutdown-grace", "600"], environment: SandboxProcess.credentials,
            stderrFile: stderrFile)
        try #require(try await job.sandbox.waitForStarts(job.rows, of: process) == job.rows, "every request hangs")
        kill(process.processIdentifier, SIGTERM)
        // Two signals sent before the first is handled are one (the kernel keeps one pending): wait
        // (bounded) until the run says it is stopping.
        _ = try await BuiltBinary.waitForLine(containing: "signal again to abort", in: stderrFile, of: process)
        kill(process.processIdentifier, SIGTERM)
        #expect(try await process.exitStatus() == 130)
        #expect(StoreIntegrity.check(job.spool.path + "/verifyd.sqlite") == "ok")
        let store = try JobStores.open(job.spool.path + "/verifyd.sqlite", creating: true)
        let record = try #require(try store.jobs().first)
        #expect(try store.rowsLeftInFlight(jobID: record.id).count == job.rows)

        try await job.expectTheNextRunChecksEveryRow()
    }

    /// An 8-row job against a sandbox that processes every request and never answers.
    private struct HangingJob {
        let spool: TemporaryDirectory
        let sandbox: SandboxProcess
        let rows = 8
        /// `verifyd run` for the job, without `--shutdown-grace`.
        var arguments: [String] {
            [
                "run", "--once", "--in-doubt-margin", "2s", "--spool", spool.path, "--api-base", sandbox.baseURL,
                "--rate", "0",
                "--concurrency", "8", "--timeout", "600", "--in-doubt", "check",
            ]
        }

        static func start() async throws -> HangingJob {
            let spool = try TemporaryDirectory()
            try spool.write(EndToEndTests.mobilesCSV(count: 8), to: "incoming/hang.csv")
            return HangingJob(
                spool: spool, sandbox: try await SandboxProcess.start(extraArguments: ["--fault-hang", "1"]))
        }

        /// With the faults off, the next run finishes every row by asking the API about it, not by sending it again.
        func expectTheNextRunChecksEveryRow() async throws {
            try await sandbox.switchFaultsOff()
            let counts = try await runToTheEndSendingEachNumberOnce(
                arguments, spool: spool, sandbox: sandbox, rows: rows)
            #expect(counts.statusQueries >= rows, "each in-doubt row was looked up")
            #expect(counts.starts == rows, "none was started again")
        }

        func remove() {
            spool.remove()
            Task { [sandbox] in try? await sandbox.stop() }
        }
    }

    /// kill -9 at five random moments of a 20,000-row job, each followed by a restart, then a run to the end:
    /// every input row has one report row with a final status, and with `--in-doubt check` on V1 every
    /// number received exactly one code, the rows in flight at each kill included.
    @Test func killedFiveTimesTheJobStillSendsExactlyOneCodePerNumber() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "20"])
        defer { Task { try? await sandbox.stop() } }
        let (csv, numbers) = KilledRuns.mobilesCSV(20_000)
        let rows = numbers.count
        try spool.write(csv, to: "incoming/killed.csv")
        let arguments = [
            "run", "--once", "--in-doubt-margin", "2s", "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate",
            "0", "--concurrency", "64",
            "--in-doubt", "check",
        ]
        let (fractions, inFlightAtKills) = try await KilledRuns.killFiveTimes(
            arguments, spool: spool, sandbox: sandbox, rows: rows)

        let last = try await BuiltBinary.run(arguments, environment: SandboxProcess.credentials)
        #expect(last.status == 0, "stderr: \(last.stderr.suffix(2000))")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == rows)
        #expect(Set(report.rows.compactMap { $0["line"] }).count == rows, "one report row per input row")
        #expect(report.rows.allSatisfy { $0["status"] == "sent" })
        let counts = try await sandbox.stats()
        let sentTwice = counts.deliveredByNumber.values.filter { $0 > 1 }.count
        print(
            "kill -9 test: \(rows) rows, kills at \(fractions.map { Int($0 * 100) }) % of the rows started, "
                + "rows in flight at each kill: \(inFlightAtKills), "
                + "numbers that got a code: \(counts.deliveredByNumber.count), numbers sent twice: \(sentTwice), "
                + "status queries: \(counts.statusQueries)")
        #expect(inFlightAtKills.contains { $0 > 0 }, "some kill hit requests in flight: \(inFlightAtKills)")
        #expect(counts.deliveredByNumber.count == rows)
        #expect(sentTwice == 0, "every number received exactly one code")
    }

    /// An API that answers 429 to everything does not keep a job running forever: once a row's retry
    /// window is over, it ends `failed` with the reason, and nothing was sent.
    @Test func anAPIThatAlwaysRateLimitsEndsTheJobAfterTheRetryWindow() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: ["--fault-429", "1"])
        defer { Task { try? await sandbox.stop() } }
        try spool.write(EndToEndTests.mobilesCSV(count: 20), to: "incoming/limited.csv")

        let run = try await BuiltBinary.run(
            ["run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--retry-window", "2s"],
            environment: SandboxProcess.credentials)
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(2000))")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == 20)
        #expect(report.rows.allSatisfy { $0["status"] == "failed" && ($0["message"] ?? "").contains("retry window") })
        let counts = try await sandbox.stats()
        #expect(counts.deliveredByNumber.isEmpty)
        #expect((counts.responsesByStatus["429"] ?? 0) >= 20)
    }
}
