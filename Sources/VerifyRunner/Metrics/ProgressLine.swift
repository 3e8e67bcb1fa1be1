public import Logging

/// The words of a progress report: pure, so they are tested with tables.
public enum ProgressLine {
    /// e.g. `list.csv 12,000/50,000 (24%) · 1,950 rows/s · ETA 20s · 3 retries · 64 in flight`.
    public static func text(_ progress: RunMetrics.Progress, rowsPerSecond: Double?) -> String {
        var parts = [
            "\(progress.fileName.printable) \(grouped(progress.doneRows))/\(grouped(progress.totalRows)) "
                + "(\(percent(progress)))"
        ]
        if let rate = rowsPerSecond {
            parts.append("\(grouped(Int(rate.rounded()))) rows/s")
            parts.append("ETA \(eta(progress, rowsPerSecond: rate).map(DurationText.describe(seconds:)) ?? "—")")
        }
        parts.append("\(grouped(progress.retries)) \(progress.retries == 1 ? "retry" : "retries")")
        parts.append("\(grouped(progress.inFlight)) in flight")
        return parts.joined(separator: " · ")
    }

    /// The same facts as log metadata.
    public static func metadata(_ progress: RunMetrics.Progress, rowsPerSecond: Double?) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "job.id": "\(progress.jobID)", "done": "\(progress.doneRows)", "total": "\(progress.totalRows)",
            "retries": "\(progress.retries)", "in_flight": "\(progress.inFlight)",
        ]
        if let rate = rowsPerSecond {
            metadata["rows_per_second"] = "\(Int(rate.rounded()))"
            if let eta = eta(progress, rowsPerSecond: rate) { metadata["eta_seconds"] = "\(eta)" }
        }
        return metadata
    }

    /// Seconds until every row is done at `rowsPerSecond`, or `nil` when that rate gets nowhere.
    public static func eta(_ progress: RunMetrics.Progress, rowsPerSecond: Double) -> Int? {
        let remaining = max(0, progress.totalRows - progress.doneRows)
        if remaining == 0 { return 0 }
        guard rowsPerSecond >= 0.01 else { return nil }
        return Int((Double(remaining) / rowsPerSecond).rounded(.up))
    }

    private static func percent(_ progress: RunMetrics.Progress) -> String {
        guard progress.totalRows > 0 else { return "100%" }
        return "\(progress.doneRows * 100 / progress.totalRows)%"
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}
