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
        let statuses = try JobStatus.read(from: store, spool: spoolOptions.layout, only: jobID)
        if let jobID, statuses.isEmpty { throw CommandFailure("no job \(jobID)") }
        if json { return print(try JobStatus.jsonText(statuses)) }
        guard !statuses.isEmpty else { return print("no jobs in \(spoolOptions.layout.root)") }
        print(StatusTable.text(statuses))
        for status in statuses {
            if let reason = status.job.pausedReason, jobID != nil || status.job.state != .finished {
                print("\(status.job.id): \(reason)")
            }
            if let waiting = status.windowWaitText { print("\(status.job.id): \(waiting)") }
            guard let codes = status.errorCodes else { continue }
            if !status.actions.isEmpty { print("\n" + StatusTable.actions(status.actions)) }
            print(
                codes.isEmpty
                    ? "\nno row ended with an error code"
                    : "\n" + StatusTable.errorCodes(codes, provider: status.job.provider))
        }
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
