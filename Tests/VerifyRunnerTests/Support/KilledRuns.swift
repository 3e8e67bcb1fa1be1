import Foundation
import Testing
import VerifyRunner

/// `kill -9` of a job's run at random moments, for the crash tests of both providers.
enum KilledRuns {
    /// `count` distinct sandbox mobiles, `+1202…` (odd subscriber numbers, skipping those ending in 9999,
    /// which the sandbox does not provision), as a CSV with a `phone_number` column.
    static func mobilesCSV(_ count: Int) -> (csv: String, numbers: [String]) {
        let numbers = (0..<(count + count / 100 + 10)).map { 3_000_001 + 2 * $0 }.filter { $0 % 10_000 != 9_999 }
            .prefix(count).map { "+1202\($0)" }
        return ("phone_number\n" + numbers.joined(separator: "\n") + "\n", Array(numbers))
    }

    /// Starts `arguments` five times and kills each run with SIGKILL once the sandbox has sent a further 5–18 %
    /// of `rows` codes (waiting on its code lines, not on a clock).
    ///
    /// - Returns: the kill moments as shares of `rows`, and the rows the store had in flight at each kill.
    static func killFiveTimes(
        _ arguments: [String], spool: TemporaryDirectory, sandbox: SandboxProcess, rows: Int
    ) async throws -> (fractions: [Double], inFlight: [Int]) {
        var fractions: [Double] = []
        for _ in 0..<5 { fractions.append((fractions.last ?? 0) + Double.random(in: 0.05...0.18)) }
        var inFlight: [Int] = []
        for fraction in fractions {
            let process = try BuiltBinary.start(arguments, environment: SandboxProcess.credentials)
            _ = await sandbox.codes.waitFor(Int(Double(rows) * fraction), orExitOf: process)
            try #require(process.isRunning, "the run was still going at the kill point (\(fraction))")
            kill(process.processIdentifier, SIGKILL)
            try await offThePool { process.waitUntilExit() }
            let store = try JobStores.open(spool.path + "/verifyd.sqlite", creating: true)
            let job = try #require(try store.jobs().first)
            inFlight.append(try store.rowsLeftInFlight(jobID: job.id).count)
        }
        return (fractions, inFlight)
    }
}
