import Foundation
import Testing

@testable import VerifyRunner

/// Results per region after `verifyd outcomes`, through the built binary and the sandbox: a region whose people
/// almost never come back with their code is flagged a possible SMS pumping target in summary.json and
/// summary.html, and a region that converts is not.
@Suite struct RegionResultsRunTests {
    /// 200 US numbers, of whom 180 type their code; 150 UK mobiles, of whom 2 do. The job converts 182 of 350
    /// (52 %); the UK 1.3 %, below a third of that with at least 100 sends: flagged.
    @Test func aRegionThatConvertsAlmostNothingIsFlaggedAfterOutcomes() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let american = KilledRuns.mobilesCSV(200).numbers
        let british = (1...150).map { "+4474001\(String(10_000 + $0).dropFirst())" }
        try spool.write(
            "phone_number\n" + (american + british).joined(separator: "\n") + "\n", to: "incoming/campaign.csv")
        let run = [
            "run", "--once", "--spool", spool.path, "--provider", "verify-v2", "--api-base", sandbox.baseURL,
            "--rate", "0", "--settle", "0s",
        ]
        let sending = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
        #expect(sending.status == 0, "\(sending.stderr.suffix(2000))")
        let jobID = try #require(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/reports").first)

        await sandbox.codes.waitFor(american.count + british.count)
        var checks = "phone_number,verification_code\n"
        for number in american.prefix(180) + british.prefix(2) {
            checks += "\(number),\(try #require(sandbox.codes.code(for: number)))\n"
        }
        try spool.write(checks, to: "incoming/checks.csv")
        let checking = try await BuiltBinary.run(run, environment: SandboxProcess.credentials)
        #expect(checking.stdout.contains("approved 182"), "\(checking.stdout)")

        let outcomes = try await BuiltBinary.run(
            ["outcomes", jobID, "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate", "0"],
            environment: SandboxProcess.credentials)
        #expect(outcomes.status == 0, "\(outcomes.stderr)")
        let report = try Report(spool: spool.path, jobID: jobID)
        let regions = try #require(report.summary["regions"] as? [[String: Any]])
        let byRegion = Dictionary(
            uniqueKeysWithValues: regions.compactMap { line in
                (line["region"] as? String).map { ($0, line) }
            })
        let britain = try #require(byRegion["GB"])
        let states = try #require(byRegion["US"])
        #expect(britain["sent"] as? Int == 150 && britain["verified"] as? Int == 2)
        #expect(britain["possible_sms_pumping"] as? Bool == true)
        #expect(states["sent"] as? Int == 200 && states["verified"] as? Int == 180)
        #expect(states["possible_sms_pumping"] as? Bool == false)
        let page = try String(contentsOfFile: spool.path + "/reports/\(jobID)/summary.html", encoding: .utf8)
        #expect(page.contains("Results per region") && page.contains("possible SMS pumping target"))
    }
}
