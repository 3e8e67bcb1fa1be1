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
        let again = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
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
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let rows = 3_000
        try spool.write(EndToEndTests.mobilesCSV(count: rows), to: "incoming/campaign.csv")
        let run = ["run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate", "300"]
        let sending = try BuiltBinary.start(run, environment: SandboxProcess.credentials)
        try #require(try await sandbox.waitForStarts(300, of: sending) >= 300, "the job is being sent")
        let id = try #require(try await Self.jobs(spool.path).keys.first)

        let paused = try await BuiltBinary.run(["pause", id, "--reason", "support asked", "--spool", spool.path])
        #expect(paused.status == 0, "\(paused.stderr)")
        #expect(try await sending.exitStatus() == 0, "with nothing else to do, the run ends")
        let startsWhilePaused = try await sandbox.stats().starts
        let job = try #require(try await Self.jobs(spool.path)[id])
        #expect(job["state"] as? String == "paused")
        let unfinished = (job["counts"] as? [String: Int])?["unfinished"] ?? 0
        #expect(unfinished > 0 && startsWhilePaused + unfinished == rows, "every start is a row done")
        let carriedOut = try await Self.actions(spool.path, of: id).first?["carried_out_by"] as? String
        #expect(carriedOut != nil, "the runner recorded that it carried the pause out")

        let again = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await sandbox.stats().starts == startsWhilePaused, "a later run sends nothing of a paused job")

        #expect(try await BuiltBinary.run(["resume", id, "--spool", spool.path]).status == 0)
        let finished = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
        #expect(finished.status == 0, "\(finished.stderr)")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == rows && report.rows.allSatisfy { $0["status"] == "sent" })
        let counts = try await sandbox.stats()
        #expect(counts.deliveredByNumber.count == rows && counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
    }
}
