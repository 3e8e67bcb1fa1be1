import VerifyRunner

/// One-line, human summaries of jobs for `run` and `status`.
enum JobSummaryText {
    /// e.g. `job 20261126-145201-3f9a list.csv: finished, 20 rows — sent 12, invalid 2, duplicate 1`.
    static func line(for job: JobRecord, counts: [String: Int]) -> String {
        let parts = countsText(counts)
        return "job \(job.id) \(job.fileName.printable): \(job.state.rawValue), \(job.totalRows) rows"
            + (parts.isEmpty ? "" : " — " + parts)
    }

    /// Non-zero counts in the order of the status table of docs/contract.md, "Row statuses".
    static func countsText(_ counts: [String: Int]) -> String {
        (RowStatus.allCases.map(\.rawValue) + ["unfinished"])
            .compactMap { name in counts[name].flatMap { $0 > 0 ? "\(name) \($0)" : nil } }
            .joined(separator: ", ")
    }
}
