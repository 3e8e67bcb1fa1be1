import Foundation
import Testing
import VerifyRunner

/// `verifyd outcomes` and `run --follow-up` against the sandbox: who came back with the right code.
@Suite(.serialized) struct OutcomesTests {
    /// 1,000 numbers sent; 300 of them checked with their right code, 50 with a wrong one. While the codes
    /// live, `outcomes` says `verified` for exactly the 300 and `pending` for the others; once their lifetime
    /// is over, `not_verified`. Asked again, the files stay the same; `not_verified.csv` dropped into
    /// `incoming/` makes a job of exactly those rows.
    ///
    /// The codes live the sandbox's default 10 minutes, so a slow machine cannot outrun them; their end is then
    /// brought forward instead of waited for: the sandbox expires them (what V1's status answers), and the second
    /// `outcomes` is told a lifetime of 1 s (what V2's rule measures from the attempts' creation).
    @Test(arguments: [ProviderName.authyV1, .verifyV2])
    func theRightCodesAreVerifiedAndTheOthersNotOnceTheirLifetimeIsOver(provider: ProviderName) async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let numbers = KilledRuns.mobilesCSV(1000).numbers
        try spool.write(
            "phone_number,ref\n" + numbers.enumerated().map { "\($1),r\($0)" }.joined(separator: "\n") + "\n",
            to: "incoming/campaign.csv")
        let run = [
            "run", "--once", "--spool", spool.path, "--provider", provider.rawValue, "--api-base", sandbox.baseURL,
            "--rate", "0", "--settle", "0s",
        ]
        let sending = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
        let sentBy = Date()
        #expect(sending.status == 0, "stderr: \(sending.stderr.suffix(2000))")
        let jobID = try #require(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/reports").first)

        // The person behind each of the first 300 numbers types the code the sandbox printed; 50 more type a
        // wrong one. The checks go in as a job of check rows.
        await sandbox.codes.waitFor(numbers.count)
        let right = numbers[..<300], wrong = numbers[300..<350]
        var checks = "phone_number,verification_code\n"
        for number in right { checks += "\(number),\(try #require(sandbox.codes.code(for: number)))\n" }
        for number in wrong {
            let code = try #require(sandbox.codes.code(for: number))
            checks += "\(number),\(code.dropLast())\(code.last == "1" ? "2" : "1")\n"
        }
        try spool.write(checks, to: "incoming/checks.csv")
        let checking = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
        #expect(checking.stdout.contains("approved 300, denied 50"), "\(checking.stdout)")

        let ask = { (lifetime: String) in
            ["outcomes", jobID, "--spool", spool.path, "--api-base", sandbox.baseURL, "--code-lifetime", lifetime]
                + ["--rate", "0"]
        }
        let early = try await BuiltBinary.run(ask("10m"), environment: SandboxProcess.credentials)
        #expect(early.status == 0, "stderr: \(early.stderr)")
        #expect(
            early.stdout.contains("outcomes verified 300, not_verified 0, pending 700, unknown 0"), "\(early.stdout)")
        var report = try Report(spool: spool.path, jobID: jobID)
        #expect(Set(report.rows.filter { $0["outcome"] == "verified" }.compactMap { $0["e164"] }) == Set(right))
        #expect(report.rows.filter { $0["outcome"] == "pending" }.count == 700)
        #expect(report.summary["conversion_rate"] as? Double == 0.3)
        #expect(!FileManager.default.fileExists(atPath: spool.path + "/reports/\(jobID)/not_verified.csv"))

        // The codes' lifetime passes: the sandbox ends them, and `outcomes` is told they lived 1 s. The attempts'
        // creation times are whole seconds, each before `sentBy`, so from `sentBy` + 1 s on every one is over
        // by that measure; the sleep is that second of the scenario (usually past already), not a synchronisation.
        try await sandbox.expireCodes()
        try await Task.sleep(until: .now + .seconds(sentBy.addingTimeInterval(1).timeIntervalSinceNow))
        let late = try await BuiltBinary.run(ask("1s"), environment: SandboxProcess.credentials)
        #expect(late.stdout.contains("outcomes verified 300, not_verified 700, pending 0, unknown 0"), "\(late.stdout)")
        report = try Report(spool: spool.path, jobID: jobID)
        #expect(Set(report.rows.filter { $0["outcome"] == "verified" }.compactMap { $0["e164"] }) == Set(right))
        #expect(
            Set(report.rows.filter { $0["outcome"] == "not_verified" }.compactMap { $0["e164"] })
                == Set(numbers[300...]))
        let outcomes = try #require(report.summary["outcomes"] as? [String: Int])
        #expect(outcomes == ["verified": 300, "not_verified": 700, "pending": 0, "unknown": 0])

        // Asked again: the same files.
        let folder = spool.path + "/reports/\(jobID)/"
        let files = ["report.csv", "report.jsonl", "summary.json", "summary.html", "not_verified.csv"]
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: folder + $0)) }
        let again = try await BuiltBinary.run(ask("1s"), environment: SandboxProcess.credentials)
        #expect(again.status == 0)
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: folder + $0)) } == before)

        // not_verified.csv, dropped in again, is a job of exactly those rows, their refs carried through.
        try FileManager.default.copyItem(
            atPath: folder + "not_verified.csv", toPath: spool.path + "/incoming/again.csv")
        let resend = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
        #expect(
            resend.status == 0 && resend.stdout.contains("again.csv: finished, 700 rows — sent 700"), "\(resend.stdout)"
        )
        let againID = try #require(
            try FileManager.default.contentsOfDirectory(atPath: spool.path + "/reports").first {
                (try? String(contentsOfFile: spool.path + "/reports/\($0)/summary.json", encoding: .utf8))?
                    .contains("again.csv") == true
            })
        let resent = try Report(spool: spool.path, jobID: againID)
        #expect(resent.rows.compactMap { $0["e164"] } == Array(numbers[300...]))
        #expect(resent.rows.compactMap { $0["ref"] } == (300..<1000).map { "r\($0)" })
    }

    /// The daemon with `--follow-up 1s` asks for a job's outcomes a second after it finished, by itself.
    @Test func theDaemonFollowsAJobUp() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        try spool.write(EndToEndTests.mobilesCSV(count: 20), to: "incoming/follow.csv")
        let stderrFile = spool.path + "/stderr.txt"
        let daemon = try BuiltBinary.start(
            [
                "run", "--spool", spool.path, "--provider", "verify-v2", "--api-base", sandbox.baseURL, "--settle",
                "0s",
                "--follow-up", "1s",
            ], environment: SandboxProcess.credentials, stderrFile: stderrFile)
        let line = try await BuiltBinary.waitForLine(containing: "outcomes recorded", in: stderrFile, of: daemon)
        #expect(line.contains("pending 20"))
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0)
        let report = try Report(spool: spool.path)
        #expect(report.rows.allSatisfy { $0["outcome"] == "pending" })
        #expect((report.summary["outcomes"] as? [String: Int])?["pending"] == 20)
    }
}
