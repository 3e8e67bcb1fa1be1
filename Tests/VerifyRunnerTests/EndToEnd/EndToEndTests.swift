import Foundation
import Testing
import VerifyRunner

/// The built `verifyd` against the built sandbox over real sockets on 127.0.0.1 (port 0).
///
/// The job files carry an `expect` column: the status the sandbox's number rules (docs/contract.md, "Sandbox
/// number rules") predict for the row. It is an ordinary extra column, so it comes back in the report beside the
/// status actually reached.
@Suite(.serialized) struct EndToEndTests {
    /// Rows exercising every sandbox number rule and every intake outcome, CSV form (CRLF, a blank
    /// line, a quoted field with a comma, and one with a newline and doubled quotes).
    static let exampleCSV = [
        "phone_number,country_code,via,verification_code,ref,expect",
        #"202-555-0189,1,,,"r1, with comma",sent"#,
        "+1 202 555 0110,,,,r2,sent",
        "(202) 555-0000,1,sms,,r3,rejected",
        "212 555 0000,1,call,,r4,sent",
        "202-555-9999,1,,,r5,rejected",
        "12345,1,,,r6,invalid",
        "abc,1,,,r7,invalid",
        "202 555 0189,1,,,r8,duplicate",
        "07911 123456,44,,,r9,sent",
        ",1,,,r10,invalid",
        "202-555-0111,1,fax,,r11,invalid",
        "+44 7911 123457,,,000000,r12,denied",
        "",
        #""+1 (202) 555-0112",,,,"multi"#,
        #"line ""ref""",sent"#,
        "",
    ].joined(separator: "\r\n")

    /// The same rows as JSONL (numbers as strings, one as a JSON number).
    static let exampleJSONL = """
        {"phone_number":"202-555-0189","country_code":1,"ref":"r1, with comma","expect":"sent"}
        {"phone_number":"+1 202 555 0110","ref":"r2","expect":"sent"}
        {"phone_number":"(202) 555-0000","country_code":"1","via":"sms","ref":"r3","expect":"rejected"}
        {"phone_number":"212 555 0000","country_code":"1","via":"call","ref":"r4","expect":"sent"}
        {"phone_number":"202-555-9999","country_code":"1","ref":"r5","expect":"rejected"}
        {"phone_number":"12345","country_code":"1","ref":"r6","expect":"invalid"}
        {"phone_number":"abc","country_code":"1","ref":"r7","expect":"invalid"}
        {"phone_number":"202 555 0189","country_code":"1","ref":"r8","expect":"duplicate"}
        {"phone_number":"07911 123456","country_code":"44","ref":"r9","expect":"sent"}

        {"phone_number":"","country_code":"1","ref":"r10","expect":"invalid"}
        {"phone_number":"202-555-0111","country_code":"1","via":"fax","ref":"r11","expect":"invalid"}
        {"phone_number":"+44 7911 123457","verification_code":"000000","ref":"r12","expect":"denied"}
        not json at all
        {"phone_number":"+1 (202) 555-0112","ref":"multi\\nline","expect":"sent"}

        """

    /// The `index`-th distinct sandbox mobile, `+1 202 …`: odd subscriber numbers never end in 0000
    /// (landline); the ones ending in 9999 (not provisioned) are at indices ≡ 4999 mod 5000, which
    /// every caller here avoids (the 20,000-row job puts landlines there, the others stay below 4999).
    static func mobile(_ index: Int) -> String { "+1 202 \(3_000_001 + 2 * index)" }

    /// A CSV of `count` distinct sandbox mobiles (`count` ≤ 4999).
    static func mobilesCSV(count: Int) -> String {
        "phone_number\n" + (0..<count).map(mobile).joined(separator: "\n") + "\n"
    }

    @Test(arguments: [
        (ProviderName.authyV1, "example.csv", exampleCSV, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]),
        (.verifyV2, "example.jsonl", exampleJSONL, [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15]),
    ])
    func exampleJobMatchesTheSandboxRules(
        provider: ProviderName, fileName: String, content: String, lines: [Int]
    ) async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        try spool.write(content, to: "incoming/" + fileName)

        let run = try await BuiltBinary.run(
            [
                "run", "--once", "--spool", spool.path, "--provider", provider.rawValue, "--api-base", sandbox.baseURL,
                "--rate", "0",
            ],
            environment: SandboxProcess.credentials)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("finished"))

        let report = try Report(spool: spool.path)
        #expect(report.rows.count == lines.count)
        #expect(report.rows.map { Int($0["line"] ?? "") ?? -1 } == lines)
        for row in report.rows {
            // The JSONL line that is not JSON has no expect column: intake reports it invalid.
            let expected = row["expect"].flatMap { $0.isEmpty ? nil : $0 } ?? "invalid"
            #expect(row["status"] == expected, "line \(row["line"] ?? "?"): \(row)")
        }
        let sent = report.rows.filter { $0["status"] == "sent" }
        #expect(sent.allSatisfy { $0["provider_id"]?.isEmpty == false && $0["http_status"] != "" })
        #expect(report.rows.first { $0["ref"] == "r1, with comma" }?["e164"] == "+12025550189")
        #expect(report.rows.first { $0["status"] == "invalid" && $0["ref"] == "r6" }?["message"]?.isEmpty == false)

        let counts = try await sandbox.stats()
        let reachedAPI = report.rows.filter { ["sent", "rejected"].contains($0["status"]) }.count
        #expect(counts.starts == reachedAPI)
        #expect(counts.checks == 1)
        #expect(counts.startsByNumber.values.allSatisfy { $0 == 1 })
        #expect(FileManager.default.fileExists(atPath: spool.path + "/done/" + fileName))
        #expect(report.summary["total_rows"] as? Int == lines.count)
    }

    @Test func twentyThousandRowsWithInvalidDuplicatesAndLandlines() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        var csv = "phone_number,country_code,expect\n"
        var numbers: [String] = []
        var expected: [String] = []
        for index in 0..<20_000 {
            let number: String
            let status: String
            switch index % 20 {
            case 17: (number, status) = (numbers[index - 5], "duplicate")
            case 18: (number, status) = ("12\(index % 1000)", "invalid")
            case 19:
                let landline = index / 20
                (number, status) = (
                    (landline < 800 ? "312" : "415") + String(200 + landline % 800) + "0000", "rejected"
                )
            // Odd subscriber numbers never end in 0000; the ones ending in 9999 fall on index % 20 == 19.
            default: (number, status) = (Self.mobile(index), "sent")
            }
            numbers.append(number)
            expected.append(status)
            csv += "\(number),1,\(status)\n"
        }
        try spool.write(csv, to: "incoming/big.csv")

        let run = try await BuiltBinary.run(
            [
                "run", "--once", "--in-doubt-margin", "2s", "--spool", spool.path, "--api-base", sandbox.baseURL,
                "--rate", "0",
                "--concurrency", "64",
            ],
            environment: SandboxProcess.credentials)
        #expect(run.status == 0, "stderr: \(run.stderr)")

        let report = try Report(spool: spool.path)
        #expect(report.rows.count == 20_000)
        #expect(report.rows.map { Int($0["line"] ?? "") ?? -1 } == Array(2...20_001))
        let mismatches = zip(report.rows, expected).filter { $0["status"] != $1 }
        #expect(mismatches.isEmpty, "first mismatch: \(String(describing: mismatches.first))")
        let counts = try await sandbox.stats()
        #expect(counts.starts == 18_000)
        #expect(counts.startsByNumber.count == 18_000)
        #expect(counts.startsByNumber.values.allSatisfy { $0 == 1 })
    }

    @Test func wrongKeyPausesTheJobAndARerunCompletesItWithNothingSentTwice() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        try spool.write(Self.mobilesCSV(count: 200), to: "incoming/keys.csv")
        let arguments = [
            "run", "--once", "--in-doubt-margin", "2s", "--spool", spool.path, "--api-base", sandbox.baseURL,
            "--concurrency", "8",
        ]

        var wrong = SandboxProcess.credentials
        wrong["AUTHY_API_KEY"] = "not-the-key"
        let refused = try await BuiltBinary.run(arguments, environment: wrong)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("job paused"))
        #expect(refused.stderr.contains("Invalid API key"))
        #expect(!refused.stderr.contains("not-the-key"))
        let afterRefusal = try await sandbox.stats()
        #expect((1...8).contains(afterRefusal.requests), "within the first in-flight window of 8")
        #expect(afterRefusal.deliveredByNumber.isEmpty)

        let status = try await BuiltBinary.run(["status", "--json", "--spool", spool.path])
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(jobs.first?["state"] as? String == "paused")
        #expect((jobs.first?["counts"] as? [String: Int])?["unfinished"] == 200)

        let rerun = try await BuiltBinary.run(arguments, environment: SandboxProcess.credentials)
        #expect(rerun.status == 0, "stderr: \(rerun.stderr)")
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == 200)
        #expect(report.rows.allSatisfy { $0["status"] == "sent" && $0["attempts"] == "1" })
        let counts = try await sandbox.stats()
        #expect(counts.deliveredByNumber.count == 200)
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
    }
}

extension EndToEndTests {
    @Test func aRateLimitedAPIIsFollowedAndEveryRowFinishes() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: ["--rate-limit", "100"])
        defer { Task { try? await sandbox.stop() } }
        try spool.write(Self.mobilesCSV(count: 600), to: "incoming/limited.csv")

        let run = try await BuiltBinary.run(
            [
                "run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate", "0", "--max-attempts",
                "1",
            ],
            environment: SandboxProcess.credentials)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("slowing down"))
        let report = try Report(spool: spool.path)
        #expect(report.rows.count == 600)
        #expect(report.rows.allSatisfy { $0["status"] == "sent" }, "429s are not attempts: --max-attempts 1 suffices")
        let counts = try await sandbox.stats()
        #expect((counts.responsesByStatus["429"] ?? 0) > 0)
        #expect(counts.deliveredByNumber.count == 600)
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
    }

    @Test func dryRunReportsWithoutSending() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        try spool.write(Self.exampleCSV, to: "incoming/dry.csv")

        let run = try await BuiltBinary.run(
            ["run", "--once", "--dry-run", "--spool", spool.path, "--api-base", sandbox.baseURL])
        #expect(run.status == 0, "a dry run needs no credentials; stderr: \(run.stderr)")
        let report = try Report(spool: spool.path)
        for row in report.rows {
            let expected = ["sent", "rejected", "denied"].contains(row["expect"]) ? "would_send" : row["expect"]
            #expect(row["status"] == expected, "line \(row["line"] ?? "?")")
        }
        let counts = try await sandbox.stats()
        #expect(counts.requests == 0)
    }
}

extension EndToEndTests {
    @Test func maxSendsHoldsAJobUntilARunWithAHigherLimit() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        // 12 rows: 10 distinct mobiles, one duplicate, one invalid; 10 verifications to start.
        let rows = (0..<10).map(Self.mobile) + [Self.mobile(3), "12345"]
        try spool.write("phone_number\n" + rows.joined(separator: "\n") + "\n", to: "incoming/capped.csv")
        let arguments = ["run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL]

        let held = try await BuiltBinary.run(arguments + ["--max-sends", "9"], environment: SandboxProcess.credentials)
        #expect(held.status == 0, "stderr: \(held.stderr)")
        #expect(held.stdout.contains("held — would send 10 verifications, more than --max-sends 9"))
        #expect(try await sandbox.stats().requests == 0)
        let status = try await BuiltBinary.run(["status", "--json", "--spool", spool.path])
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(jobs.first?["state"] as? String == "held")
        #expect((jobs.first?["reason"] as? String)?.contains("--max-sends 10 or more") == true)
        #expect((jobs.first?["counts"] as? [String: Int]) == ["unfinished": 10, "duplicate": 1, "invalid": 1])

        let stillHeld = try await BuiltBinary.run(
            arguments + ["--max-sends", "9"], environment: SandboxProcess.credentials)
        #expect(stillHeld.stdout.contains("held"))
        #expect(try await sandbox.stats().requests == 0)

        let sent = try await BuiltBinary.run(
            arguments + ["--max-sends", "10"], environment: SandboxProcess.credentials)
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
        let report = try Report(spool: spool.path)
        #expect(report.rows.map { $0["status"] } == Array(repeating: "sent", count: 10) + ["duplicate", "invalid"])
        let counts = try await sandbox.stats()
        #expect(counts.deliveredByNumber.count == 10)
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
    }
}

/// Runs `verifyd ARGUMENTS` against the sandbox to the end of the spool's only job and expects what the
/// durability tests promise: exit 0, every input row reported `sent`, each number given exactly one code.
/// Returns the sandbox's counts for further checks.
@discardableResult
func runToTheEndSendingEachNumberOnce(
    _ arguments: [String], spool: TemporaryDirectory, sandbox: SandboxProcess, rows: Int
) async throws -> SandboxCounts {
    let run = try await BuiltBinary.run(arguments, environment: SandboxProcess.credentials)
    #expect(run.status == 0, "stderr: \(run.stderr.suffix(2000))")
    let report = try Report(spool: spool.path)
    #expect(report.rows.count == rows)
    #expect(report.rows.allSatisfy { $0["status"] == "sent" })
    let counts = try await sandbox.stats()
    #expect(counts.deliveredByNumber.count == rows)
    #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 }, "no number got two codes")
    return counts
}

/// A finished job's report files, read back.
struct Report {
    /// report.csv as dictionaries keyed by column name.
    let rows: [[String: String]]
    /// summary.json.
    let summary: [String: Any]

    /// Reads the report of job `jobID`, or of the only job in the spool.
    init(spool: String, jobID: String? = nil) throws {
        let jobs = try jobID.map { [$0] } ?? FileManager.default.contentsOfDirectory(atPath: spool + "/reports")
        try #require(jobs.count == 1)
        let folder = spool + "/reports/" + jobs[0]
        let reader = try CSVReader(path: folder + "/report.csv")
        var rows: [[String: String]] = []
        while let item = try reader.next() {
            guard case .row(let row) = item else { continue }
            rows.append(Dictionary(uniqueKeysWithValues: zip(reader.columns, row.values)))
        }
        self.rows = rows
        let summaryData = try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))
        summary = try #require(try JSONSerialization.jsonObject(with: summaryData) as? [String: Any])
    }
}
