import Foundation
import VerifyRunner

/// One job as `status` and the live page (`GET /jobs.json` of `--metrics-port`) show it: its counts, and its rate
/// and ETA from what the store recorded.
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

    /// For an unfinished job that a run left with rows waiting for `--send-window`: how many, and when the first
    /// window opens (seconds since 1970).
    var windowWait: (rows: Int, opensAt: Double)? {
        guard !job.phase.hasEnded, let rows = job.rowsWaitingForWindow, rows > 0, let opensAt = job.windowOpensAt
        else { return nil }
        return (rows, opensAt)
    }

    /// The line `status` prints for ``windowWait``, e.g. `120 rows wait for --send-window; the next window opens at
    /// 2026-12-05T14:00:00.000Z`.
    var windowWaitText: String? {
        windowWait.map {
            "\($0.rows) rows wait for --send-window; the next window opens at \(Timestamp.iso8601($0.opensAt))"
        }
    }

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
        if let waiting = windowWait {
            object["rows_waiting_for_window"] = waiting.rows
            object["window_opens_at"] = Timestamp.iso8601(waiting.opensAt)
        }
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

extension JobStatus {
    /// Every job of `store`, oldest first, or with `jobID` only that job (none if there is no such job) with its
    /// error codes. Blocks on the store: call it from a Dispatch queue, never from an event loop or Swift's
    /// cooperative pool.
    static func read(
        from store: any JobStoreReader & JobControlStore, spool: Spool, only jobID: String? = nil
    ) throws -> [JobStatus] {
        try store.jobs().filter { jobID == nil || $0.id == jobID }.map { job in
            try JobStatus(
                job: job, counts: store.statusCounts(jobID: job.id),
                errorCodes: jobID == nil ? nil : store.errorCodeBreakdown(jobID: job.id),
                actions: store.actions(jobID: job.id), reportDirectory: spool.reportDirectory(jobID: job.id))
        }
    }

    /// The text of `status --json`: an array of ``jsonObject``, keys sorted, indented.
    static func jsonText(_ statuses: [JobStatus]) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: statuses.map(\.jsonObject), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
