import Foundation

/// Writes a job's report files from the store (SPEC.md §5): `report.csv`, `report.jsonl` and
/// `summary.json` in `reports/JOB_ID/`.
///
/// It reads only the store, writes each file under a temporary name and renames it into place,
/// so running it again (`verifyd report`) rewrites the same files.
public struct ReportWriter: Sendable {
    /// The fixed leading columns of `report.csv`, in order.
    public static let fixedColumns = [
        "line", "phone_number", "country_code", "e164", "via", "status", "attempts", "error_code", "message",
        "provider_id", "carrier", "is_cellphone", "http_status", "started_at", "finished_at",
    ]

    private let store: JobStore

    /// Creates a writer reading from `store`.
    public init(store: JobStore) { self.store = store }

    /// Writes the three files for `job` into `directory` (created with mode 0700 if missing).
    ///
    /// - Returns: the path of `summary.json`'s folder.
    @discardableResult
    public func write(job: JobRecord, provider: ProviderName?, to directory: String) throws -> String {
        if mkdir(directory, 0o700) != 0, errno != EEXIST { throw FileWriteError(path: directory, errno: errno) }
        let csv = try AtomicFileWriter(path: directory + "/report.csv")
        let jsonl = try AtomicFileWriter(path: directory + "/report.jsonl")
        let extraColumns = job.extraColumns
        try csv.write((Self.fixedColumns + extraColumns).map(CSVText.field).joined(separator: ",") + "\r\n")
        // Written piece by piece into the files' buffers: a million rows must not build a million
        // intermediate arrays and joined strings.
        let keys = (Self.fixedColumns + extraColumns).map { JSONText.string($0) + ":" }
        try store.forEachReportRow(jobID: job.id) { row in
            let fields = Self.fields(of: row)
            for (index, field) in fields.enumerated() {
                try csv.write(index == 0 ? "" : ",")
                try csv.write(CSVText.field(field.text ?? ""))
                try jsonl.write(index == 0 ? "{" : ",")
                try jsonl.write(keys[index])
                try jsonl.write(field.json)
            }
            for column in 0..<extraColumns.count {
                let value = column < row.extras.count ? row.extras[column] : ""
                try csv.write(",")
                try csv.write(CSVText.field(CSVText.neutralized(value)))
                try jsonl.write(",")
                try jsonl.write(keys[fields.count + column])
                try jsonl.write(JSONText.string(value))
            }
            try csv.write("\r\n")
            try jsonl.write("}\n")
        }
        try csv.commit()
        try jsonl.commit()
        try writeSummary(job: job, provider: provider, to: directory)
        return directory
    }

    /// One report value as CSV text and as JSON.
    private struct Field {
        let text: String?
        let json: String
    }

    private static func fields(of row: ReportRow) -> [Field] {
        func text(_ value: String?) -> Field { Field(text: value, json: JSONText.string(value)) }
        func number(_ value: Int?) -> Field { Field(text: value.map(String.init), json: JSONText.number(value)) }
        return [
            number(row.line), text(row.phoneInput), text(row.countryInput), text(row.e164), text(row.channel),
            text(row.status?.rawValue), number(row.attempts), text(row.errorCode), text(row.message),
            text(row.providerID), text(row.carrier),
            Field(text: row.isCellphone.map { $0 ? "true" : "false" }, json: JSONText.bool(row.isCellphone)),
            number(row.httpStatus), text(row.startedAt), text(row.finishedAt),
        ]
    }

    private func writeSummary(job: JobRecord, provider: ProviderName?, to directory: String) throws {
        let counts = try store.statusCounts(jobID: job.id)
        let errorCodes = try store.errorCodeCounts(jobID: job.id)
        let rate = job.sendingSeconds > 0 ? Double(job.requests) / job.sendingSeconds : 0
        let statusMembers = RowStatus.allCases.map { ($0.rawValue, String(counts[$0.rawValue] ?? 0)) }
            + (counts["unfinished"].map { [("unfinished", String($0))] } ?? [])
        let summary = JSONText.object([
            ("job_id", JSONText.string(job.id)),
            ("file", JSONText.string(job.fileName)),
            ("provider", JSONText.string(provider?.rawValue)),
            ("state", JSONText.string(job.state.rawValue)),
            ("total_rows", String(job.totalRows)),
            ("statuses", JSONText.object(statusMembers)),
            ("error_codes", JSONText.object(errorCodes.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) })),
            ("started_at", JSONText.string(job.startedAt)),
            ("finished_at", JSONText.string(job.finishedAt)),
            ("requests", String(job.requests)),
            ("retries", String(job.retries)),
            ("requests_per_second", String((rate * 100).rounded() / 100)),
        ])
        let file = try AtomicFileWriter(path: directory + "/summary.json")
        try file.write(summary + "\n")
        try file.commit()
    }
}

/// CSV output: RFC 4180 quoting, and neutralizing of carried-through cells a spreadsheet would run.
enum CSVText {
    /// Quotes `value` when it holds a comma, quote, CR or LF, or starts or ends with a space.
    static func field(_ value: String) -> String {
        let needsQuotes = value.utf8.contains { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }
            || value.hasPrefix(" ") || value.hasSuffix(" ")
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A carried-through cell that starts with `=`, `+`, `-`, `@`, tab or CR and is not a phone
    /// number gets a leading `'` so spreadsheets show it as text (OWASP CSV injection).
    static func neutralized(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return value }
        let looksLikePhone = value.unicodeScalars.dropFirst().allSatisfy {
            ("0"..."9").contains($0) || " -().".unicodeScalars.contains($0)
        }
        return looksLikePhone && (first == "+" || first == "-") ? value : "'" + value
    }
}
