import Foundation
import Testing

@testable import VerifyRunner

/// `verifyd pause`, `resume` and `cancel` on a store, through the built binary: what they change and record, what
/// they refuse (naming why, with exit 1 or 64, changing nothing), and that a run leaves an operator's pause alone.
@Suite struct SteeringCommandTests {
    /// The jobs `status --json` lists for the spool at `path`, by id.
    private static func jobs(_ path: String) async throws -> [String: [String: Any]] {
        let status = try await BuiltBinary.run(["status", "--json", "--spool", path])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0) })
    }

    /// The control actions `status --json` lists for job `id`.
    private static func actions(_ path: String, of id: String) async throws -> [[String: Any]] {
        try await jobs(path)[id]?["actions"] as? [[String: Any]] ?? []
    }

    @Test func operatorsPauseResumeAndAreRefusedWhatMakesNoSense() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        try spool.write("phone_number\n+12025550100\n+12025550101\n", to: "incoming/list.csv")
        // Nothing listens on port 9: a run that sent anything would fail its rows.
        let run = ["run", "--once", "--spool", spool.path, "--api-base", "http://127.0.0.1:9"]
        let held = try await BuiltBinary.run(run + ["--max-sends", "1"], environment: SandboxProcess.credentials)
        #expect(held.status == 0, "\(held.stderr)")
        let id = try #require(try await Self.jobs(spool.path).keys.first)
        let steer = { (arguments: [String]) in try await BuiltBinary.run(arguments + ["--spool", spool.path]) }

        let paused = try await steer(["pause", id, "--reason", "hold until Monday"])
        #expect(paused.status == 0 && paused.stdout.contains("\(id): paused"), "\(paused.stderr)")
        var job = try #require(try await Self.jobs(spool.path)[id])
        #expect(job["state"] as? String == "paused" && job["reason"] as? String == "hold until Monday")
        #expect(job["paused_by"] as? String == OperatorName.current())

        // A run neither lifts an operator's pause nor sends the job.
        let again = try await BuiltBinary.run(run + ["--rate", "0"], environment: SandboxProcess.credentials)
        #expect(again.status == 0, "\(again.stderr)")
        job = try #require(try await Self.jobs(spool.path)[id])
        #expect(job["state"] as? String == "paused" && job["counts"] as? [String: Int] == ["unfinished": 2])

        #expect(try await steer(["resume", id]).status == 0)
        #expect(try await Self.jobs(spool.path)[id]?["state"] as? String == "queued")
        let actions = try await Self.actions(spool.path, of: id)
        #expect(actions.map { $0["action"] as? String } == ["pause", "resume"])
        #expect(actions.first?["reason"] as? String == "hold until Monday")

        // Refused: exit 1 naming the job and why, or 64 for bad usage; nothing changes, nothing is recorded.
        let notPaused = try await steer(["resume", id])
        #expect(notPaused.status == 1 && notPaused.stderr.contains("\(id): the job is not paused (it is queued)"))
        let unknown = try await steer(["pause", id, "nope"])
        #expect(unknown.status == 1 && unknown.stderr.contains("nope: no such job"), "\(unknown.stderr)")
        #expect(try await Self.jobs(spool.path)[id]?["state"] as? String == "paused", "the known id is paused")
        #expect(try await steer(["resume", id]).status == 0)
        let multiline = try await steer(["pause", id, "--reason", "one\ntwo"])
        #expect(multiline.status == 64 && multiline.stderr.contains("--reason must be one line"))
        let long = try await steer(["cancel", id, "--reason", String(repeating: "x", count: 10_000)])
        #expect(long.status == 64 && long.stderr.contains("--reason must be at most 500 characters"))
        #expect(try await Self.jobs(spool.path)[id]?["state"] as? String == "queued")
        #expect(try await Self.actions(spool.path, of: id).count == 4)

        try spool.write("phone_number\n+12025550102\n", to: "incoming/dry.csv")
        _ = try await BuiltBinary.run(run + ["--dry-run"], environment: SandboxProcess.credentials)
        let finished = try #require(try await Self.jobs(spool.path).first { $0.key != id }?.key)
        let late = try await steer(["cancel", finished])
        #expect(late.status == 1 && late.stderr.contains("\(finished): the job is already finished"))
    }
}

extension SteeringCommandTests {
    /// A job paused while it is being sent stops sending and stays paused through later runs; resumed, it
    /// finishes, and every number was started exactly once.
    @Test func aJobPausedWhileSendingStopsAndResumedFinishesWithEveryNumberStartedOnce() async throws {
        let campaign = try await CampaignUnderWay.start()
        defer { campaign.remove() }
        let (spool, sandbox, rows, run, sending, id) = (
            campaign.spool, campaign.sandbox, CampaignUnderWay.rows, campaign.run, campaign.sending, campaign.id
        )

        let paused = try await BuiltBinary.run(["pause", id, "--reason", "support asked", "--spool", spool.path])
        try #require(paused.status == 0, "\(paused.stderr)")
        #expect(try await sending.exitStatus() == 0, "with nothing else to do, the run ends")
        let startsWhilePaused = try await sandbox.stats().starts
        let job = try #require(try await Self.jobs(spool.path)[id])
        #expect(job["state"] as? String == "paused")
        let unfinished = (job["counts"] as? [String: Int])?["unfinished"] ?? 0
        #expect(unfinished > 0 && startsWhilePaused + unfinished == rows, "every start is a row done")
        let carriedOut = try await Self.actions(spool.path, of: id).first?["carried_out_by"] as? String
        #expect(carriedOut != nil, "the runner recorded that it carried the pause out")

        let again = try await BuiltBinary.run(run + ["--rate", "0"], environment: SandboxProcess.credentials)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await sandbox.stats().starts == startsWhilePaused, "a later run sends nothing of a paused job")

        #expect(try await BuiltBinary.run(["resume", id, "--spool", spool.path]).status == 0)
        let finished = try await BuiltBinary.run(run + ["--rate", "0"], environment: SandboxProcess.credentials)
        #expect(finished.status == 0, "\(finished.stderr)")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == rows && report.rows.allSatisfy { $0["status"] == "sent" })
        let counts = try await sandbox.stats()
        #expect(counts.deliveredByNumber.count == rows && counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
    }
}

extension SteeringCommandTests {
    /// A job canceled while it is being sent starts nothing more: every row ends `sent` or `canceled`, the report
    /// is written, and its `retry.csv`, dropped into `incoming/`, makes a job of exactly the canceled rows.
    @Test func aJobCanceledWhileSendingEndsItsUnsentRowsCanceledAndRetryCSVSendsThem() async throws {
        let campaign = try await CampaignUnderWay.start()
        defer { campaign.remove() }
        let (spool, sandbox, rows, run, sending, id) = (
            campaign.spool, campaign.sandbox, CampaignUnderWay.rows, campaign.run, campaign.sending, campaign.id
        )

        let canceled = try await BuiltBinary.run(["cancel", id, "--reason", "wrong list", "--spool", spool.path])
        try #require(canceled.status == 0, "\(canceled.stderr)")
        #expect(try await sending.exitStatus() == 0)
        let starts = try await sandbox.stats().starts
        let job = try #require(try await Self.jobs(spool.path)[id])
        #expect(job["state"] as? String == "canceled")
        let counts = try #require(job["counts"] as? [String: Int])
        #expect(Set(counts.keys) == ["sent", "canceled"], "every row is final: \(counts)")
        #expect(counts["sent"] == starts && (counts["canceled"] ?? 0) > 0, "no start after the cancel")
        let report = try Report(spool: spool.path, jobID: id)
        #expect(report.rows.count == rows)

        try FileManager.default.copyItem(
            atPath: spool.path + "/reports/\(id)/retry.csv", toPath: spool.path + "/incoming/retry.csv")
        let retried = try await BuiltBinary.run(run + ["--rate", "0"], environment: SandboxProcess.credentials)
        #expect(retried.status == 0, "\(retried.stderr)")
        let second = try #require(try await Self.jobs(spool.path).first { $0.key != id })
        #expect(second.value["counts"] as? [String: Int] == ["sent": counts["canceled"] ?? 0])
        let delivered = try await sandbox.stats().deliveredByNumber
        #expect(delivered.count == rows && delivered.values.allSatisfy { $0 == 1 }, "each number started once")
    }
}

/// A job of ``rows`` numbers being sent by `run --once` at 20 a second, 20 of them started: the operator's command
/// comes while most rows still wait, with a quarter of an hour to spare for a test run that is slow to issue it.
private struct CampaignUnderWay {
    /// The job's rows.
    static let rows = 20_000

    let spool: TemporaryDirectory
    let sandbox: SandboxProcess
    /// `run --once` on the spool and the sandbox, without `--rate`.
    let run: [String]
    /// The run sending the job.
    let sending: Process
    /// The job.
    let id: String

    /// Starts the sandbox and the run, and returns once the sandbox has received 20 starts.
    static func start() async throws -> CampaignUnderWay {
        let spool = try TemporaryDirectory()
        let sandbox = try await SandboxProcess.start()
        try spool.write(KilledRuns.mobilesCSV(rows).csv, to: "incoming/campaign.csv")
        let run = ["run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL]
        let sending = try BuiltBinary.start(run + ["--rate", "20"], environment: SandboxProcess.credentials)
        try #require(try await sandbox.waitForStarts(20, of: sending) >= 20, "the job is being sent")
        let status = try await BuiltBinary.run(["status", "--json", "--spool", spool.path])
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let id = try #require(jobs.first?["id"] as? String)
        return CampaignUnderWay(spool: spool, sandbox: sandbox, run: run, sending: sending, id: id)
    }

    /// Stops the sandbox and removes the spool.
    func remove() {
        let sandbox = sandbox
        Task { try? await sandbox.stop() }
        spool.remove()
    }
}

extension SteeringCommandTests {
    /// When the daemon sending a paused job is killed.
    enum KillMoment: String, CaseIterable, CustomTestStringConvertible {
        /// Once it has logged that it carried the pause out: nothing of the job is in flight.
        case afterItObeyed
        /// As soon as `pause` has returned: it may not have obeyed yet, and rows may be in flight.
        case asThePauseReturned

        var testDescription: String { rawValue }
    }

    /// An operator's pause outlives the runner: a daemon sending a job is paused and killed (-9), and a new run
    /// neither lifts the pause nor starts anything for the job; `status --json` still names who paused it.
    /// Resumed, a run finishes the job (rows left in flight by the kill are asked about: `--in-doubt check`), every
    /// number started exactly once.
    @Test(arguments: KillMoment.allCases)
    func anOperatorsPauseOutlivesAKilledDaemonAndARestart(killed: KillMoment) async throws {
        let job = try await DaemonsJob.start(rows: 2_000)
        defer { job.remove() }
        let (spool, sandbox, log) = (job.spool, job.sandbox, job.log)
        let run = job.run + ["--in-doubt", "check", "--in-doubt-margin", "2s"]
        let daemon = try BuiltBinary.start(
            run + ["--rate", "20"], environment: SandboxProcess.credentials, stderrFile: log)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        try #require(try await sandbox.waitForStarts(20, of: daemon) >= 20, "the job is being sent")
        let id = try #require(try await Self.jobs(spool.path).keys.first)

        let paused = try await BuiltBinary.run(["pause", id, "--reason", "support asked", "--spool", spool.path])
        try #require(paused.status == 0, "\(paused.stderr)")
        if killed == .afterItObeyed {
            _ = try await BuiltBinary.waitForLine(containing: "job paused by an operator", in: log, of: daemon)
        }
        kill(daemon.processIdentifier, SIGKILL)
        #expect(try await daemon.exitStatus() == SIGKILL)
        let startsAtKill = try await sandbox.stats().starts

        let restarted = try await BuiltBinary.run(
            run + ["--once", "--rate", "0"], environment: SandboxProcess.credentials)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(try await sandbox.stats().starts == startsAtKill, "the restarted run sends nothing of the job")
        let record = try #require(try await Self.jobs(spool.path)[id])
        #expect(record["state"] as? String == "paused" && record["reason"] as? String == "support asked")
        #expect(record["paused_by"] as? String == OperatorName.current())
        let unfinished = (record["counts"] as? [String: Int])?["unfinished"] ?? 0
        // Rows the kill left in flight are unfinished, whether their request left or not.
        let accounted = startsAtKill + unfinished
        #expect(unfinished > 0 && accounted >= job.numbers.count, "every start is a row done or left in flight")
        if killed == .afterItObeyed { #expect(accounted == job.numbers.count, "nothing was left in flight") }

        #expect(try await BuiltBinary.run(["resume", id, "--spool", spool.path]).status == 0)
        let finished = try await BuiltBinary.run(
            run + ["--once", "--rate", "0"], environment: SandboxProcess.credentials)
        #expect(finished.status == 0, "\(finished.stderr)")
        try await job.expectEveryRowSentOnce(id: id)
    }

    /// A pause by the API (the sandbox refuses the credentials) does not outlive the daemon: killed (-9) once it has
    /// recorded it, the next run, with the right credentials, lifts it and finishes the job, every number started
    /// exactly once.
    @Test func aPauseByTheAPIIsLiftedByTheRunAfterAKilledDaemon() async throws {
        let job = try await DaemonsJob.start(rows: 200)
        defer { job.remove() }
        var wrong = SandboxProcess.credentials
        wrong["AUTHY_API_KEY"] = "not-the-key"
        let daemon = try BuiltBinary.start(job.run, environment: wrong, stderrFile: job.log)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        // The run's last word, once the pause is in the store: the daemon ends on a refusal that needs a person, so
        // the kill finds it ending or gone.
        _ = try await BuiltBinary.waitForLine(containing: "Fix the cause", in: job.log, of: daemon)
        kill(daemon.processIdentifier, SIGKILL)
        _ = try await daemon.exitStatus()
        let (id, record) = try #require(try await Self.jobs(job.spool.path).first)
        #expect(record["state"] as? String == "paused" && record["paused_by"] as? String == nil, "paused by the API")
        #expect(try await job.sandbox.stats().deliveredByNumber.isEmpty)

        let restarted = try await BuiltBinary.run(job.run + ["--once"], environment: SandboxProcess.credentials)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(restarted.stderr.contains("resuming paused job"))
        try await job.expectEveryRowSentOnce(id: id)
    }
}

/// A spool with a job file of sandbox mobiles and the sandbox, for a daemon (`run` without `--once`) that a test
/// kills.
private struct DaemonsJob {
    let spool: TemporaryDirectory
    let sandbox: SandboxProcess
    /// The job's numbers.
    let numbers: [String]

    /// `verifyd run` of the spool against the sandbox, without `--once`.
    var run: [String] { ["run", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s"] }
    /// Where a daemon's standard error goes.
    var log: String { spool.path + "/daemon.log" }

    /// Starts the sandbox and writes a job of `rows` numbers into `incoming/`.
    static func start(rows: Int) async throws -> DaemonsJob {
        let spool = try TemporaryDirectory()
        let (csv, numbers) = KilledRuns.mobilesCSV(rows)
        try spool.write(csv, to: "incoming/job.csv")
        return DaemonsJob(spool: spool, sandbox: try await SandboxProcess.start(), numbers: numbers)
    }

    /// Job `id` is finished: its report lists every row `sent`, and the sandbox started each number exactly once.
    func expectEveryRowSentOnce(id: String) async throws {
        let report = try Report(spool: spool.path, jobID: id)
        #expect(report.rows.count == numbers.count && report.rows.allSatisfy { $0["status"] == "sent" })
        let starts = try await sandbox.stats().startsByNumber
        #expect(numbers.allSatisfy { starts[$0] == 1 }, "each number started exactly once")
    }

    /// Stops the sandbox and removes the spool.
    func remove() {
        let sandbox = sandbox
        Task { try? await sandbox.stop() }
        spool.remove()
    }
}
