import ArgumentParser
import Foundation
import VerifyRunner

/// `verifyd status [JOB_ID] [--json]`: where the jobs stand — a table for people, JSON for scripts,
/// and for one job its error codes with what they mean.
///
/// It only reads the store, so it can be run while `verifyd run` works (readers see the last committed
/// state beside the writer).
struct StatusCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the jobs and their progress.")

    @OptionGroup var spoolOptions: SpoolOptions

    @Argument(help: "Show only this job, with its error codes.")
    var jobID: String?

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    func runBlocking() throws {
        let store = try spoolOptions.openStore(creating: false)
        var jobs = try store.jobs()
        if let jobID {
            jobs = jobs.filter { $0.id == jobID }
            guard !jobs.isEmpty else { throw CommandFailure("no job \(jobID)") }
        }
        let statuses = try jobs.map { job in
            try JobStatus(
                job: job, counts: store.statusCounts(jobID: job.id),
                errorCodes: jobID == nil ? nil : store.errorCodeBreakdown(jobID: job.id),
                actions: store.actions(jobID: job.id),
                reportDirectory: spoolOptions.layout.reportDirectory(jobID: job.id))
        }
        if json {
            let data = try JSONSerialization.data(
                withJSONObject: statuses.map(\.jsonObject),
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard !statuses.isEmpty else { return print("no jobs in \(spoolOptions.layout.root)") }
        print(StatusTable.text(statuses))
        for status in statuses {
            if let reason = status.job.pausedReason, jobID != nil || status.job.state != .finished {
                print("\(status.job.id): \(reason)")
            }
            guard let codes = status.errorCodes else { continue }
            if !status.actions.isEmpty { print("\n" + StatusTable.actions(status.actions)) }
            print(
                codes.isEmpty
                    ? "\nno row ended with an error code"
                    : "\n" + StatusTable.errorCodes(codes, provider: status.job.provider))
        }
    }
}

/// One job as `status` shows it: its counts, and its rate and ETA from what the store recorded.
struct JobStatus {
    /// The job.
    let job: JobRecord
    /// Rows per final status, `unfinished` for the others.
    let counts: [String: Int]
    /// Rows per error code and status (only for `status JOB_ID`).
    let errorCodes: [ErrorCodeCount]?
    /// Operators' control actions on the job, in the order they were asked.
    let actions: [JobAction]
    /// `reports/JOB_ID`.
    let reportDirectory: String

    /// Rows with a final status.
    var doneRows: Int { counts.filter { $0.key != "unfinished" }.values.reduce(0, +) }

    /// Requests per second while sending (`nil` before the first request).
    var requestsPerSecond: Double? {
        job.sendingSeconds > 0 && job.requests > 0 ? Double(job.requests) / job.sendingSeconds : nil
    }

    /// Seconds left for an unfinished job, at the pace of first attempts so far (`nil`: unknown).
    var etaSeconds: Int? {
        let unfinished = counts["unfinished"] ?? 0
        guard !job.phase.hasEnded else { return nil }
        let firstAttempts = Double(job.requests - job.retries)
        guard unfinished > 0, job.sendingSeconds > 0, firstAttempts > 0 else { return unfinished == 0 ? 0 : nil }
        return Int((Double(unfinished) / (firstAttempts / job.sendingSeconds)).rounded(.up))
    }

    /// The JSON object of `status --json`.
    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "id": job.id, "file": job.fileName, "state": job.state.rawValue, "total": job.totalRows,
            "done": doneRows, "counts": counts, "requests": job.requests, "retries": job.retries,
            "requests_per_second": requestsPerSecond.map { ($0 * 10).rounded() / 10 } ?? NSNull(),
            "eta_seconds": etaSeconds ?? NSNull(), "created_at": job.createdAt,
            "started_at": job.startedAt ?? NSNull(), "finished_at": job.finishedAt ?? NSNull(),
            "report": reportDirectory, "provider": job.provider?.rawValue ?? NSNull(),
        ]
        if let reason = job.pausedReason { object["reason"] = reason }
        if let operatorName = job.pausedBy { object["paused_by"] = operatorName }
        object["actions"] = actions.map { action in
            [
                "action": action.action.rawValue, "reason": action.reason ?? NSNull(), "user": action.user,
                "requested_at": action.requestedAt, "carried_out_at": action.carriedOutAt ?? NSNull(),
                "carried_out_by": action.carriedOutBy ?? NSNull(),
            ] as [String: Any]
        }
        if let errorCodes {
            object["error_codes"] = errorCodes.map { count in
                [
                    "code": count.code, "status": count.status, "rows": count.rows,
                    "http_status": count.httpStatus ?? NSNull(),
                    "meaning": ErrorCodeMeaning.describe(count, provider: job.provider),
                ] as [String: Any]
            }
        }
        return object
    }
}

/// The text of `status`: aligned columns, one line per job.
enum StatusTable {
    /// The jobs table.
    static func text(_ statuses: [JobStatus]) -> String {
        let header = ["JOB", "FILE", "STATE", "DONE/TOTAL", "RATE", "ETA", "STATUSES", "REPORT"]
        let rows = statuses.map { status -> [String] in
            let percent = status.job.totalRows > 0 ? " \(status.doneRows * 100 / status.job.totalRows)%" : ""
            return [
                status.job.id, status.job.fileName.printable, status.job.state.rawValue,
                "\(status.doneRows)/\(status.job.totalRows)\(percent)",
                status.requestsPerSecond.map { "\(Int($0.rounded()))/s" } ?? "-",
                status.etaSeconds.map { $0 == 0 ? "-" : DurationText.describe(seconds: $0) } ?? "-",
                JobSummaryText.countsText(status.counts).replacingOccurrences(of: ", ", with: " · "),
                status.job.state == .finished || status.job.state == .canceled ? status.reportDirectory + "/" : "-",
            ]
        }
        return aligned([header] + rows)
    }

    /// The error-code table of `status JOB_ID`.
    static func errorCodes(_ counts: [ErrorCodeCount], provider: ProviderName?) -> String {
        let rows = counts.map { [$0.code, $0.status, "\($0.rows)", ErrorCodeMeaning.describe($0, provider: provider)] }
        return aligned([["ERROR", "STATUS", "ROWS", "MEANING"]] + rows)
    }

    /// The control actions of `status JOB_ID`: when, what, who, why, and which runner carried it out.
    static func actions(_ actions: [JobAction]) -> String {
        let rows = actions.map { action in
            [
                action.requestedAt, action.action.rawValue, action.user.printable,
                action.carriedOutBy.map { "\($0) at \(action.carriedOutAt ?? "?")" } ?? "not yet",
                action.reason?.printable ?? "-",
            ]
        }
        return aligned([["ASKED", "ACTION", "BY", "CARRIED OUT", "REASON"]] + rows)
    }

    /// Columns padded to their widest cell; the last column is not padded.
    private static func aligned(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
