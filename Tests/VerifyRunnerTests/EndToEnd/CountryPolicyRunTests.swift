import Foundation
import Testing

@testable import VerifyRunner

/// `run --countries` and `--exclude-countries` through the built binary and the sandbox: no request to a region the
/// policy refuses, whether the job is read by the run or was read before it; the refused rows end `skipped` naming
/// the region and the flag; a list that is not regions is a usage error that names it and touches nothing.
@Suite struct CountryPolicyRunTests {
    /// Numbers of the United States, Canada, the United Kingdom, France, Germany and Guernsey, by region.
    static let numbers = [
        ("US", "+12023000001"), ("CA", "+14169791234"), ("GB", "+447400123456"), ("FR", "+33612345678"),
        ("DE", "+4915123456789"), ("GG", "+447911123456"),
    ]

    /// Runs `body` with the sandbox, a spool with the mixed file in `incoming/`, and the run's arguments on both.
    private static func withMixedJob(
        _ body: (SandboxProcess, TemporaryDirectory, [String]) async throws -> Void
    ) async throws {
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        try spool.write("phone_number\n" + numbers.map(\.1).joined(separator: "\n") + "\n", to: "incoming/mixed.csv")
        try await body(
            sandbox, spool, ["run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s"])
    }

    /// The report's status and message per number.
    private static func outcomes(_ spool: TemporaryDirectory) throws -> [String: String] {
        let rows = try Report(spool: spool.path).rows
        return Dictionary(
            uniqueKeysWithValues: rows.map { ($0["e164"] ?? "", "\($0["status"] ?? "") \($0["message"] ?? "")") })
    }

    @Test func onlyTheListedRegionsAreSentAndTheOthersAreSkippedNamingTheirRegion() async throws {
        try await Self.withMixedJob { sandbox, spool, run in

            let sent = try await BuiltBinary.run(
                run + ["--countries", "US,ca"], environment: SandboxProcess.credentials)
            #expect(sent.status == 0, "\(sent.stderr)")
            let counts = try await sandbox.stats()
            #expect(counts.startsByNumber == ["+12023000001": 1, "+14169791234": 1], "no request to another region")
            #expect(counts.requests == 2)
            let outcomes = try Self.outcomes(spool)
            for (region, number) in Self.numbers {
                let outcome = outcomes[number] ?? ""
                if ["US", "CA"].contains(region) {
                    #expect(outcome.hasPrefix("sent "), "\(region): \(outcome)")
                } else {
                    #expect(outcome == "skipped region \(region) is not in --countries US,CA")
                }
            }
        }
    }

    @Test func aJobReadBeforeThePolicyIsHeldToItWhenItIsSent() async throws {
        try await Self.withMixedJob { sandbox, spool, run in
            // Read with no policy, and held: it would start six verifications.
            let held = try await BuiltBinary.run(run + ["--max-sends", "2"], environment: SandboxProcess.credentials)
            #expect(held.status == 0 && held.stdout.contains("held"), "\(held.stdout) \(held.stderr)")

            let sent = try await BuiltBinary.run(
                run + ["--max-sends", "2", "--exclude-countries", "FR,DE,GB,GG"],
                environment: SandboxProcess.credentials)
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(try await sandbox.stats().startsByNumber == ["+12023000001": 1, "+14169791234": 1])
            let outcomes = try Self.outcomes(spool)
            #expect(outcomes["+33612345678"] == "skipped region FR is excluded by --exclude-countries FR,DE,GB,GG")
            #expect(outcomes["+447911123456"] == "skipped region GG is excluded by --exclude-countries FR,DE,GB,GG")
            #expect(outcomes["+12023000001"]?.hasPrefix("sent ") == true)
        }
    }

    @Test(arguments: [
        (["--countries", "XX"], "--countries XX names XX, which is not a region libphonenumber knows"),
        (["--exclude-countries", "US,,CA"], "--exclude-countries US,,CA has an empty entry"),
    ])
    func aListThatIsNotRegionsIsAUsageErrorThatNamesIt(arguments: [String], message: String) async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        try spool.write("phone_number\n+12023000001\n", to: "incoming/list.csv")
        let refused = try await BuiltBinary.run(
            ["run", "--once", "--spool", spool.path, "--api-base", "http://127.0.0.1:9"] + arguments)
        #expect(refused.status == 64 && refused.stderr.contains(message), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: spool.path + "/incoming/list.csv"), "nothing claimed")
    }
}
