import Foundation

/// Writes a job's report files from the store: `report.csv`, `report.jsonl` and `summary.json` in
/// `reports/JOB_ID/`, and for people and for a second try, `summary.html` (``SummaryPage``), `retry.csv`
/// (the rows that failed for reasons that may pass, as input) and, once outcomes are known,
/// `not_verified.csv` (the rows whose code was never given, as input).
///
/// It reads only the store, writes each file under a temporary name and renames it into place,
/// so running it again (`verifyd report`) rewrites the same files.
public struct ReportWriter: Sendable {
    /// The fixed leading columns of `report.csv`, in order.
    public static let fixedColumns = [
        "line", "phone_number", "country_code", "e164", "via", "status", "outcome", "attempts", "error_code", "message",
        "provider_id", "carrier", "is_cellphone", "http_status", "started_at", "finished_at", "region", "time_zone",
    ]

    private let store: any JobStoreReader

    /// Creates a writer reading from `store`.
    public init(store: any JobStoreReader) { self.store = store }

    /// The columns of `retry.csv` before the job's carried-through ones: the known input columns.
    public static let retryColumns = KnownColumn.allCases.map(\.name)

    /// Writes the report files for `job` into `directory` (created with mode 0700 if missing); the job's
    /// stored provider decides which error codes count as worth a retry.
    ///
    /// One scan of the job's rows makes report.csv, report.jsonl, retry.csv and not_verified.csv and counts
    /// what the summaries need; the error codes' breakdown and the requests per second are read apart.
    ///
    /// - Returns: the path of `summary.json`'s folder.
    @discardableResult
    public func write(job: JobRecord, to directory: String) throws -> String {
        if mkdir(directory, 0o700) != 0, errno != EEXIST { throw FileWriteError(path: directory, errno: errno) }
        let csvFile = try AtomicFileWriter(path: directory + "/report.csv")
        let jsonlFile = try AtomicFileWriter(path: directory + "/report.jsonl")
        let inputColumns = Self.retryColumns + job.extraColumns
        // retry.csv: the rows that ended `failed` for a reason that may pass on a second try (see
        // ResponseClassifier.failureIsRetryable), and those an operator's cancel kept from being sent; not_verified.csv: the sent rows whose code was never given.
        let retryFile = try ResendFile(path: directory + "/retry.csv", columns: inputColumns)
        let notVerifiedFile = try ResendFile(path: directory + "/not_verified.csv", columns: inputColumns)
        let tables = (job.provider.map { [$0.definition] } ?? ProviderDefinition.all).map(\.errorTable)
        let encoder = ReportLineEncoder(extraColumns: job.extraColumns)
        // Lines are encoded as bytes into two buffers handed to the files about every 256 KiB: a million
        // rows must not build a String per field.
        var csv = encoder.csvHeader()
        var jsonl: [UInt8] = []
        let flushSize = 1 << 18
        csv.reserveCapacity(flushSize + 4096)
        jsonl.reserveCapacity(flushSize + 4096)
        var tally = ReportTally()
        var regions = RegionResults()
        let normalizer = PhoneNormalizer()
        try store.forEachReportRow(jobID: job.id) { row in
            let region = row.e164.flatMap(normalizer.region(ofE164:))
            let zones =
                row.timeZone ?? row.e164.map { NumberTimeZones.shared.zones(forE164: $0).joined(separator: " ") }
            encoder.append(row, region: region, timeZones: zones, csv: &csv, jsonl: &jsonl)
            tally.count(row)
            regions.count(row, region: region)
            let isRetryable = { (table: ResponseClassifier.ErrorTable) in
                ResponseClassifier.failureIsRetryable(
                    httpStatus: row.httpStatus, errorCode: row.errorCode, table: table)
            }
            if row.status == .canceled || (row.status == .failed && tables.contains(where: isRetryable)) {
                try retryFile.append(row)
            }
            if row.status == .sent, row.outcome == .notVerified { try notVerifiedFile.append(row) }
            if jsonl.count >= flushSize {
                try csvFile.write(csv)
                try jsonlFile.write(jsonl)
                csv.removeAll(keepingCapacity: true)
                jsonl.removeAll(keepingCapacity: true)
            }
        }
        try csvFile.write(csv)
        try jsonlFile.write(jsonl)
        try csvFile.commit()
        try jsonlFile.commit()
        try retryFile.finish()
        try notVerifiedFile.finish()
        let outcomes = Outcomes(job: job, counts: tally.outcomes)
        let regionLines = regions.lines(outcomesAsked: outcomes.asked)
        try writeSummary(job: job, tally: tally, outcomes: outcomes, regions: regionLines, to: directory)
        try writeSummaryPage(
            job: job, counts: tally.statuses, outcomes: outcomes, regions: regionLines, to: directory)
        return directory
    }

    private func writeSummaryPage(
        job: JobRecord, counts: [String: Int], outcomes: Outcomes, regions: [RegionResults.Line], to directory: String
    ) throws {
        var content = SummaryPage.Content(
            jobID: job.id, fileName: job.fileName, provider: job.provider?.rawValue, state: job.state.rawValue,
            totalRows: job.totalRows,
            statuses: (RowStatus.allCases.map(\.rawValue) + ["unfinished"]).compactMap { name in
                counts[name].flatMap { $0 > 0 ? (name, $0) : nil }
            },
            errorCodes: try store.errorCodeBreakdown(jobID: job.id),
            requestSeconds: try store.requestsPerSecond(jobID: job.id), requests: job.requests, retries: job.retries,
            startedAt: job.startedAt, finishedAt: job.finishedAt)
        if outcomes.asked { content.outcomes = (outcomes.rows, outcomes.conversionRate) }
        content.regions = regions
        let file = try AtomicFileWriter(path: directory + "/summary.html")
        try file.write(SummaryPage.html(content))
        try file.commit()
    }

    private func writeSummary(
        job: JobRecord, tally: ReportTally, outcomes: Outcomes, regions: [RegionResults.Line], to directory: String
    ) throws {
        let counts = tally.statuses
        let errorCodes = tally.errorCodes
        let rate = job.sendingSeconds > 0 ? Double(job.requests) / job.sendingSeconds : 0
        let statusMembers =
            RowStatus.allCases.map { ($0.rawValue, String(counts[$0.rawValue] ?? 0)) }
            + (counts["unfinished"].map { [("unfinished", String($0))] } ?? [])
        let summary = JSONText.object([
            ("job_id", JSONText.string(job.id)),
            ("file", JSONText.string(job.fileName)),
            ("provider", JSONText.string(job.provider?.rawValue)),
            ("state", JSONText.string(job.state.rawValue)),
            ("total_rows", String(job.totalRows)),
            ("statuses", JSONText.object(statusMembers)),
            ("error_codes", JSONText.object(errorCodes.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) })),
            ("started_at", JSONText.string(job.startedAt)),
            ("finished_at", JSONText.string(job.finishedAt)),
            ("requests", String(job.requests)),
            ("retries", String(job.retries)),
            ("requests_per_second", String((rate * 100).rounded() / 100)),
            ("outcomes", JSONText.object(outcomes.rows.map { ($0.outcome, String($0.rows)) })),
            ("conversion_rate", Self.rate(outcomes.conversionRate)),
            ("regions", "[" + regions.map(Self.json).joined(separator: ",") + "]"),
        ])
        let file = try AtomicFileWriter(path: directory + "/summary.json")
        try file.write(summary + "\n")
        try file.commit()
    }
}

extension ReportWriter {
    /// A share (0…1) in summary.json: four decimals, `null` when unknown.
    fileprivate static func rate(_ share: Double?) -> String {
        share.map { String(($0 * 10_000).rounded() / 10_000) } ?? "null"
    }

    /// One region's line in summary.json.
    fileprivate static func json(_ line: RegionResults.Line) -> String {
        JSONText.object([
            ("region", JSONText.string(line.region)),
            ("rows", String(line.rows)),
            ("sent", String(line.sent)),
            ("verified", line.verified.map(String.init) ?? "null"),
            ("conversion_rate", rate(line.conversionRate)),
            ("possible_sms_pumping", line.possiblePumping ? "true" : "false"),
        ])
    }
}

/// What the summaries count, gathered during the scan that writes the report rows.
struct ReportTally {
    /// Rows per final status (`unfinished` for the others).
    var statuses: [String: Int] = [:]
    /// `sent` rows per outcome (`none` before outcomes are asked).
    var outcomes: [String: Int] = [:]
    /// Rows per last error code (rows without one are not counted).
    var errorCodes: [String: Int] = [:]

    /// Counts one row.
    mutating func count(_ row: ReportRow) {
        statuses[row.status?.rawValue ?? "unfinished", default: 0] += 1
        if row.status == .sent { outcomes[row.outcome?.rawValue ?? "none", default: 0] += 1 }
        if let code = row.errorCode { errorCodes[code, default: 0] += 1 }
    }
}

/// A file of rows to drop into `incoming/` again (`retry.csv`, `not_verified.csv`): each row as it was read,
/// in the input's columns. A file that gets no row is not written (an old one is removed).
private final class ResendFile {
    private let path: String
    private let file: AtomicFileWriter
    private var csv: [UInt8] = []
    private var rows = 0

    /// Starts the file with its header (`columns`).
    init(path: String, columns: [String]) throws {
        self.path = path
        file = try AtomicFileWriter(path: path)
        CSVText.appendRecord(columns, to: &csv)
    }

    /// Appends a row as it was read: no spreadsheet neutralizing, which would change the values.
    func append(_ row: ReportRow) throws {
        rows += 1
        CSVText.appendRecord(
            [row.phoneInput, row.countryInput, row.channel, row.locale ?? "", row.code ?? "", row.timeZone ?? ""]
                + row.extras, to: &csv)
        if csv.count >= 1 << 18 {
            try file.write(csv)
            csv.removeAll(keepingCapacity: true)
        }
    }

    /// Writes the file into place, or removes it when it got no row.
    func finish() throws {
        guard rows > 0 else {
            unlink(path)
            return
        }
        try file.write(csv)
        try file.commit()
    }
}

/// A job's outcomes as the summaries show them.
struct Outcomes {
    /// Whether `verifyd outcomes` has asked the API for them.
    let asked: Bool
    /// `sent` rows per outcome, every outcome word, in the order of ``VerificationOutcome``.
    let rows: [(outcome: String, rows: Int)]
    /// Verified rows among the `sent` ones (0…1); `nil` until outcomes are asked or with no sent row.
    let conversionRate: Double?

    /// The outcomes of `job`, from the store's counts per outcome of its `sent` rows.
    init(job: JobRecord, counts: [String: Int]) {
        asked = job.outcomesCheckedAt != nil
        rows = VerificationOutcome.allCases.map { ($0.rawValue, counts[$0.rawValue] ?? 0) }
        let sent = counts.values.reduce(0, +)
        let verified = counts[VerificationOutcome.verified.rawValue] ?? 0
        conversionRate = asked && sent > 0 ? Double(verified) / Double(sent) : nil
    }
}

/// CSV output: RFC 4180 quoting, and neutralizing of carried-through cells a spreadsheet would run.
enum CSVText {
    /// Quotes `value` when it holds a comma, quote, CR or LF, or starts or ends with a space.
    static func field(_ value: String) -> String {
        var bytes: [UInt8] = []
        appendField(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `fields` as one CSV record: separated by commas, quoted as ``field(_:)`` says, ended by CRLF.
    static func appendRecord(_ fields: [String], to out: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(comma) }
            appendField(field, to: &out)
        }
        out.append(contentsOf: [carriageReturn, lineFeed])
    }

    /// Appends `value` as one CSV field, quoted as ``field(_:)`` says.
    static func appendField(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { appendField($0, to: &out) }
    }

    /// Appends the UTF-8 `bytes` as one CSV field, quoted as ``field(_:)`` says.
    static func appendField(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let needsQuotes =
            bytes.first == space || bytes.last == space
            || bytes.contains { $0 == comma || $0 == quote || $0 == lineFeed || $0 == carriageReturn }
        guard needsQuotes else { return out.append(contentsOf: bytes) }
        out.append(quote)
        for byte in bytes {
            if byte == quote { out.append(quote) }
            out.append(byte)
        }
        out.append(quote)
    }

    private static let space = UInt8(ascii: " ")
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// A carried-through cell that starts with `=`, `+`, `-`, `@`, tab or CR and is not a phone
    /// number gets a leading `'` so spreadsheets show it as text (OWASP CSV injection).
    static func neutralized(_ value: String) -> String { needsNeutralizing(value) ? "'" + value : value }

    /// Whether ``neutralized(_:)`` changes `value`.
    static func needsNeutralizing(_ value: String) -> Bool {
        let bytes = value.utf8
        guard let first = bytes.first, formulaStarts.contains(first) else { return false }
        let looksLikePhone = bytes.dropFirst().allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || phonePunctuation.contains($0)
        }
        return !(looksLikePhone && (first == UInt8(ascii: "+") || first == UInt8(ascii: "-")))
    }

    /// The first bytes that make a spreadsheet read a cell as a formula.
    private static let formulaStarts: [UInt8] = Array("=+-@\t\r".utf8)
    /// What a phone number may hold besides digits.
    private static let phonePunctuation: [UInt8] = Array(" -().".utf8)
}
