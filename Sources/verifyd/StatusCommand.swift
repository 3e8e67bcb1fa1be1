import ArgumentParser
import Foundation
import VerifyRunner

/// `verifyd status [JOB_ID] [--json]`: where the jobs stand.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the jobs and their progress.")

    @OptionGroup var spoolOptions: SpoolOptions

    @Argument(help: "Show only this job.")
    var jobID: String?

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    func run() throws {
        let store = try spoolOptions.openStore()
        var jobs = try store.jobs()
        if let jobID {
            jobs = jobs.filter { $0.id == jobID }
            guard !jobs.isEmpty else { throw CommandFailure("no job \(jobID)") }
        }
        if json {
            var entries: [[String: Any]] = []
            for job in jobs {
                let counts = try store.statusCounts(jobID: job.id)
                let done = counts.filter { $0.key != "unfinished" }.values.reduce(0, +)
                var entry: [String: Any] = [
                    "id": job.id, "file": job.fileName, "state": job.state.rawValue, "total": job.totalRows,
                    "done": done, "counts": counts, "requests": job.requests, "retries": job.retries,
                    "report": spoolOptions.layout.reportDirectory(jobID: job.id),
                ]
                if let reason = job.pausedReason { entry["reason"] = reason }
                if jobID != nil { entry["error_codes"] = try store.errorCodeCounts(jobID: job.id) }
                entries.append(entry)
            }
            let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if jobs.isEmpty { print("no jobs in \(spoolOptions.layout.root)") }
        for job in jobs {
            print(JobSummaryText.line(for: job, counts: try store.statusCounts(jobID: job.id)))
            if let reason = job.pausedReason { print("  reason: \(reason)") }
            if jobID != nil {
                let codes = try store.errorCodeCounts(jobID: job.id).sorted { $0.key < $1.key }
                for (code, count) in codes { print("  error \(code): \(count)") }
            }
        }
    }
}
