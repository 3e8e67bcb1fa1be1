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
