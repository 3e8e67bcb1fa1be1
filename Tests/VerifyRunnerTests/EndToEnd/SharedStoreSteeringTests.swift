import Foundation
import Testing

@testable import VerifyRunner

/// `verifyd pause`, `resume` and `cancel` on a job three runners share on the test run's real PostgreSQL server,
/// against the real sandbox: a fourth process writes the command into the database, and each of the three stops
/// sending the job for it. Obeying is asserted as what the runners do (each says it stopped; no start comes
/// after), never as a time; the time from the request to each runner's stop is printed.
@Suite(.serialized) struct SharedStoreSteeringTests {
    /// A job paused while three runners send it: each stops and says so, the sandbox's starts are the job's `sent`
    /// rows and stay so through a later run; resumed, three runners finish it, every number started exactly once.
    @Test func threeRunnersObeyAPauseFromAFourthProcessAndFinishOnceResumed() async throws {
        let shared = try await SharedJobUnderWay.start()
        defer { shared.remove() }
        let (store, job, counts, sandboxAfter) = try await shared.steerAndWaitForEachRunner(
            .pause, reason: "support asked")
        #expect(job.phase == .pausedByOperator && job.pausedBy == OperatorName.current())
        let starts = sandboxAfter.starts
        #expect(counts["sent"] == starts && (counts["unfinished"] ?? 0) > 0, "every start is a row sent: \(counts)")
        let actions = try await offThePool { try store.actions(jobID: shared.jobID) }
        #expect(actions.count == 1 && actions[0].carriedOutBy != nil, "a runner recorded carrying the pause out")
        try await shared.expectNoStartFromALaterRun(startsBefore: starts)

        let resumed = try await shared.steer(["resume", shared.jobID])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let again = try shared.spools.map { spool in
            try BuiltBinary.start(
                SharedJobUnderWay.arguments(spool, shared, rate: 0), environment: SandboxProcess.credentials,
                stderrFile: spool.path + "/again.log")
        }
        var statuses: [Int32] = []
        for runner in again { statuses.append(try await runner.exitStatus(killedAfter: 300)) }
        #expect(statuses == [0, 0, 0], "\(shared.text(shared.spools[0].path + "/again.log").suffix(2000))")
        let finished = try await offThePool { try store.job(id: shared.jobID) }
        #expect(finished?.state == .finished)
        #expect(try await offThePool { try store.statusCounts(jobID: shared.jobID) } == ["sent": shared.numbers.count])
        let sandbox = try await shared.sandbox.stats()
        let notOnce = shared.numbers.filter { sandbox.startsByNumber[$0] != 1 }
        #expect(notOnce.isEmpty, "every number started exactly once; not so for \(notOnce.count)")
    }

    /// A job canceled while three runners send it: each stops and says so, every row ends `sent` or `canceled`
    /// (`in_doubt` only if the API cannot tell), no start comes after, and `retry.csv` holds exactly the canceled
    /// rows.
    @Test func threeRunnersObeyACancelFromAFourthProcessAndRetryCSVHoldsTheCanceledRows() async throws {
        let shared = try await SharedJobUnderWay.start()
        defer { shared.remove() }
        let (_, job, counts, sandbox) = try await shared.steerAndWaitForEachRunner(.cancel, reason: "wrong list")
        #expect(job.state == .canceled, "the runners' endings: \(shared.endings())")
        #expect(Set(counts.keys).isSubset(of: ["sent", "canceled", "in_doubt"]), "every row is final: \(counts)")
        #expect(counts["sent"] == sandbox.starts && (counts["canceled"] ?? 0) > 0, "no start after: \(counts)")
        try await shared.expectNoStartFromALaterRun(startsBefore: sandbox.starts)

        // The report and retry.csv are in the spool whose file the job was read from, and the file is done.
        let done = try FileManager.default.contentsOfDirectory(atPath: shared.spools[0].path + "/done")
        #expect(done.count == 1, "\(shared.endings())")
        let report = try Report(spool: shared.spools[0].path, jobID: shared.jobID)
        #expect(report.rows.count == shared.numbers.count)
        let canceledNumbers = Set(report.rows.filter { $0["status"] == "canceled" }.compactMap { $0["e164"] })
        #expect(canceledNumbers.count == counts["canceled"])
        #expect(canceledNumbers.allSatisfy { sandbox.startsByNumber[$0] == nil }, "no canceled row was started")
        let retry = try String(
            contentsOfFile: shared.spools[0].path + "/reports/\(shared.jobID)/retry.csv", encoding: .utf8)
        let retried = retry.split(whereSeparator: \.isNewline).dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(
            retried.count == canceledNumbers.count && Set(retried) == canceledNumbers,
            "retry.csv: \(retried.count) rows, \(retried.prefix(3)); canceled: \(canceledNumbers.count)")
    }
}

/// A job of ``rows`` numbers read by the first of three `run --once` runners sharing a fresh database, each at
/// `--rate 10`, and sent by all three: each has started numbers of its own share. Commands come from a fourth
/// process with a spool of its own.
private struct SharedJobUnderWay {
    /// The job's rows: a runner leases 2,000 rows at a time (the scheduler's load batch), so each of three gets a
    /// share, and at 10 a second each the job takes minutes: the command comes while most rows wait.
    static let rows = 6_000
    /// What a runner logs when it stops sending a job for an operator (``SpoolRunner``).
    static let obeyLine = "stopped sending the job for an operator"

    let address: String
    let sandbox: SandboxProcess
    /// The three runners' spools; the first holds the job's file.
    let spools: [TemporaryDirectory]
    /// The fourth process's spool.
    let steering: TemporaryDirectory
    let runners: [Process]
    let numbers: [String]
    let jobID: String

    /// `verifyd run --once` of `spool` on the shared database at `--rate RATE`, JSON logs.
    static func arguments(_ spool: TemporaryDirectory, _ shared: SharedJobUnderWay, rate: Int) -> [String] {
        arguments(spool, shared.address, shared.sandbox, rate: rate)
    }

    private static func arguments(
        _ spool: TemporaryDirectory, _ address: String, _ sandbox: SandboxProcess, rate: Int
    ) -> [String] {
        [
            "run", "--once", "--spool", spool.path, "--db", address, "--api-base", sandbox.baseURL, "--settle", "0s",
            "--rate", "\(rate)", "--lease", "30s", "--timeout", "3", "--log-format", "json",
        ]
    }

    /// Starts the sandbox and the first runner, then the two others once it has read the file, and returns once
    /// the sandbox has received starts from each runner's share of the rows.
    static func start() async throws -> SharedJobUnderWay {
        let (_, address) = try await PostgresServer.newSharedDatabase()
        let sandbox = try await SandboxProcess.start()
        let spools = try (0..<3).map { _ in try TemporaryDirectory() }
        let (csv, numbers) = KilledRuns.mobilesCSV(rows)
        try spools[0].write(csv, to: "incoming/shared.csv")
        let start = { (spool: TemporaryDirectory) in
            try BuiltBinary.start(
                arguments(spool, address, sandbox, rate: 10), environment: SandboxProcess.credentials,
                stderrFile: spool.path + "/runner.log")
        }
        let first = try start(spools[0])
        _ = try await BuiltBinary.waitForLine(containing: "file read", in: spools[0].path + "/runner.log", of: first)
        let runners = try [first] + spools.dropFirst().map(start)
        let jobID = try #require(try await offThePool { try PostgresJobStore(address: address).jobs().first?.id })
        // Each runner's share is a third of the rows, in order: wait, 30 starts at a time, for a start in each.
        var starts = 0
        while true {
            let counts = try await sandbox.stats(whenStartsReach: starts + 30)
            starts = counts.starts
            let shares = (0..<3).map { numbers[($0 * rows / 3)..<(($0 + 1) * rows / 3)] }
            if shares.allSatisfy({ $0.contains { counts.startsByNumber[$0] != nil } }) { break }
            try #require(runners.allSatisfy(\.isRunning) && starts < 600, "each runner sends its share")
        }
        return SharedJobUnderWay(
            address: address, sandbox: sandbox, spools: spools, steering: try TemporaryDirectory(), runners: runners,
            numbers: numbers, jobID: jobID)
    }

    /// `verifyd COMMAND…` from the fourth process, on the shared database.
    func steer(_ command: [String]) async throws -> BuiltBinary.Output {
        try await BuiltBinary.run(command + ["--spool", steering.path, "--db", address])
    }

    /// Asks `action` of the job from the fourth process, waits for each runner to say it stopped sending the job
    /// for it and then to end (exit 0: with nothing else to do, each run ends), and prints how long after the
    /// request (`requested_at`) each one stopped, by its line's time. Returns the store, the job and its rows per
    /// status as the runners left them, and the sandbox's counts.
    func steerAndWaitForEachRunner(
        _ action: OperatorAction, reason: String
    ) async throws -> (store: PostgresJobStore, job: JobRecord, counts: [String: Int], sandbox: SandboxCounts) {
        let asked = try await steer([action.rawValue, jobID, "--reason", reason])
        try #require(asked.status == 0, "\(asked.stderr)")
        var times: [Double] = []
        var statuses: [Int32] = []
        for (spool, runner) in zip(spools, runners) {
            let line = try await BuiltBinary.waitForLine(
                containing: Self.obeyLine, in: spool.path + "/runner.log", of: runner)
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let time = json?["time"] as? String
            times.append(try #require(time.flatMap { Timestamp.seconds(fromISO8601: $0) }, "\(line)"))
            statuses.append(try await runner.exitStatus(killedAfter: 300))
        }
        #expect(statuses == [0, 0, 0], "\(text(spools[0].path + "/runner.log").suffix(2000))")
        let (jobID, address) = (jobID, address)
        let store = try await offThePool { try PostgresJobStore(address: address) }
        let actions = try await offThePool { try store.actions(jobID: jobID) }
        let requested = try #require(actions.last.flatMap { Timestamp.seconds(fromISO8601: $0.requestedAt) })
        let latencies = times.map { String(format: "%.3f s", $0 - requested) }
        print("\(action) on PostgreSQL, 3 runners at --rate 10: requested_at to each runner's stop: \(latencies)")
        let job = try #require(try await offThePool { try store.job(id: jobID) })
        let counts = try await offThePool { try store.statusCounts(jobID: jobID) }
        return (store, job, counts, try await sandbox.stats())
    }

    /// A further run on the database starts nothing for the job: the sandbox's starts stay `startsBefore`.
    func expectNoStartFromALaterRun(startsBefore: Int) async throws {
        let later = try await BuiltBinary.run(
            Self.arguments(steering, self, rate: 0), environment: SandboxProcess.credentials)
        #expect(later.status == 0, "\(later.stderr)")
        #expect(try await sandbox.stats().starts == startsBefore, "no start after the runners obeyed")
    }

    /// Each runner's log lines that end the job, for failure messages.
    func endings() -> [[String]] {
        spools.map { spool in
            text(spool.path + "/runner.log").split(separator: "\n").map(String.init).filter {
                $0.contains("\"job canceled\"") || $0.contains("\"job finished\"")
            }
        }
    }

    /// What a file holds, for failure messages.
    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Kills any runner still going, stops the sandbox and removes the spools.
    func remove() {
        for runner in runners where runner.isRunning { kill(runner.processIdentifier, SIGKILL) }
        let sandbox = sandbox
        Task { try? await sandbox.stop() }
        (spools + [steering]).forEach { $0.remove() }
    }
}
