import Foundation
import Testing
import VerifyRunner

/// Verify V2 as safe as V1: a start whose answer was lost is looked up in the Verification
/// Attempts API, never sent blindly again; a job is only ever sent through the provider it was read for.
@Suite(.serialized) struct VerifyV2InDoubtTests {
    /// `verifyd run --once` of the spool with `verify-v2`, an in-doubt margin of 2 s (the sandbox lists an
    /// attempt as soon as it is made) and the given options.
    private static func arguments(_ spool: TemporaryDirectory, _ sandbox: SandboxProcess, _ extra: [String]) -> [String]
    {
        [
            "run", "--once", "--spool", spool.path, "--provider", "verify-v2", "--api-base", sandbox.baseURL,
            "--in-doubt", "check", "--in-doubt-margin", "2s",
        ] + extra
    }

    /// kill -9 at five random moments of a 20,000-row V2 job, each followed by a restart, then a run to the
    /// end: every row `sent`, and the sandbox counted exactly one start per number (the rows in flight at each
    /// kill were looked up, not sent again; those that never reached it were sent once).
    @Test func killedFiveTimesEveryNumberIsStartedExactlyOnce() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "20"])
        defer { Task { try? await sandbox.stop() } }
        let (csv, numbers) = KilledRuns.mobilesCSV(20_000)
        try spool.write(csv, to: "incoming/killed-v2.csv")
        let arguments = Self.arguments(spool, sandbox, ["--rate", "0", "--concurrency", "64"])
        let (fractions, inFlightAtKills) = try await KilledRuns.killFiveTimes(
            arguments, spool: spool, sandbox: sandbox, rows: numbers.count)

        let last = try await BuiltBinary.run(arguments, environment: SandboxProcess.credentials)
        #expect(last.status == 0, "stderr: \(last.stderr.suffix(2000))")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == numbers.count)
        #expect(report.rows.allSatisfy { $0["status"] == "sent" && ($0["provider_id"] ?? "").hasPrefix("VE") })
        let lookedUp = report.rows.filter { ($0["message"] ?? "").contains("Verification Attempts API lists") }.count
        let counts = try await sandbox.stats()
        let startedOnce = numbers.filter { counts.startsByNumber[$0] == 1 }.count
        let kills = fractions.map { Int($0 * 100) }
        print("V2 kill -9 test: \(numbers.count) rows, kills at \(kills) % of the codes sent")
        print("  rows in flight at each kill: \(inFlightAtKills), rows found sent in the Attempts API: \(lookedUp)")
        print("  numbers started once: \(startedOnce), starts: \(counts.starts)")
        print("  Attempts API requests: \(counts.attemptRequests)")
        #expect(inFlightAtKills.contains { $0 > 0 }, "some kill hit requests in flight: \(inFlightAtKills)")
        #expect(lookedUp > 0, "some row in flight at a kill had reached the API and was found there")
        #expect(startedOnce == numbers.count, "every number was started exactly once")
        #expect(counts.starts == numbers.count)
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
    }

    /// The sandbox processes requests and then drops the connection (5 %), answers 200 with garbage (2 %) or
    /// never answers (0.2 %): no number gets two codes, and every row ends `sent` or, where the API could not
    /// tell, `in_doubt`.
    @Test func underFaultsAfterProcessingNoNumberGetsTwoCodes() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: [
            "--fault-drop-after", "0.05", "--fault-garbage", "0.02", "--fault-hang", "0.002",
        ])
        defer { Task { try? await sandbox.stop() } }
        let (csv, numbers) = KilledRuns.mobilesCSV(3000)
        try spool.write(csv, to: "incoming/faults-v2.csv")

        let run = try await BuiltBinary.run(
            Self.arguments(spool, sandbox, ["--rate", "0", "--concurrency", "32", "--timeout", "2"]),
            environment: SandboxProcess.credentials)
        #expect(run.status == 0, "stderr: \(run.stderr.suffix(2000))")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == numbers.count)
        let statuses = Dictionary(grouping: report.rows) { $0["status"] ?? "" }.mapValues(\.count)
        #expect(Set(statuses.keys).isSubset(of: ["sent", "in_doubt"]), "statuses: \(statuses)")
        let counts = try await sandbox.stats()
        for fault in ["drop_after", "garbage"] {
            #expect((counts.faults[fault] ?? 0) > 0, "fault \(fault) was injected: \(counts.faults)")
        }
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 }, "no number got two codes")
        let sent = report.rows.filter { $0["status"] == "sent" }.compactMap { $0["e164"] }
        #expect(sent.allSatisfy { counts.deliveredByNumber[$0] == 1 }, "every sent row's number got its code")
        let lookedUp = report.rows.filter { ($0["message"] ?? "").contains("Verification Attempts API lists") }.count
        print("V2 fault test: \(numbers.count) rows, statuses \(statuses), faults \(counts.faults)")
        print("  rows found sent in the Attempts API: \(lookedUp), Attempts API requests: \(counts.attemptRequests)")
        #expect(lookedUp > 0)
    }

    /// A V2 job killed in the middle is left alone by a run with `--provider authy-v1` (nothing is asked of
    /// either API for it), shown as it stands, and finished by the next V2 run with one start per number.
    @Test func aV2JobIsLeftAloneByAnAuthyRun() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "50"])
        defer { Task { try? await sandbox.stop() } }
        let (csv, numbers) = KilledRuns.mobilesCSV(2000)
        try spool.write(csv, to: "incoming/v2.csv")
        let v2 = Self.arguments(spool, sandbox, ["--rate", "0", "--concurrency", "16"])
        let first = try BuiltBinary.start(v2, environment: SandboxProcess.credentials)
        _ = await sandbox.codes.waitFor(200, orExitOf: first)
        try #require(first.isRunning, "the V2 run was under way when it was killed")
        kill(first.processIdentifier, SIGKILL)
        try await offThePool { first.waitUntilExit() }
        let before = try await sandbox.stats()

        var v1 = v2
        v1[v1.firstIndex(of: "verify-v2")!] = "authy-v1"
        let authy = try await BuiltBinary.run(v1, environment: SandboxProcess.credentials)
        #expect(authy.status == 0, "stderr: \(authy.stderr)")
        #expect(authy.stdout.contains("left alone — read for verify-v2; run with --provider verify-v2 to send it"))
        #expect(authy.stderr.contains("job left alone"))
        #expect(try await sandbox.stats().requests == before.requests, "nothing was asked of the API")
        let store = try JobStores.open(spool.path + "/verifyd.sqlite", creating: true)
        let job = try #require(try store.jobs().first)
        #expect(job.state == .queued && job.provider == .verifyV2)
        #expect(try store.statusCounts(jobID: job.id)["unfinished"] ?? 0 > 0)

        let finish = try await BuiltBinary.run(v2, environment: SandboxProcess.credentials)
        #expect(finish.status == 0, "stderr: \(finish.stderr.suffix(2000))")
        let counts = try await sandbox.stats()
        #expect(numbers.allSatisfy { counts.startsByNumber[$0] == 1 }, "each number started once")
        // `verifyd report` writes the job's files with the provider it was read for.
        let rewritten = try await BuiltBinary.run(["report", job.id, "--spool", spool.path])
        #expect(rewritten.status == 0)
        #expect(try Report(spool: spool.path).summary["provider"] as? String == "verify-v2")
    }
}
