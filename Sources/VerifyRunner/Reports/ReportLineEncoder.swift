/// Encodes report rows as `report.csv` and `report.jsonl` lines (docs/contract.md, "Report files") straight into
/// byte buffers, the columns in ``ReportWriter/fixedColumns`` order followed by the job's extra columns.
struct ReportLineEncoder {
    /// `"name":` for every column, fixed then extra.
    private let jsonKeys: [[UInt8]]
    private let columns: [String]
    private let extraCount: Int

    /// Creates an encoder for a job with these extra columns.
    init(extraColumns: [String]) {
        columns = ReportWriter.fixedColumns + extraColumns
        extraCount = extraColumns.count
        jsonKeys = columns.map { Array((JSONText.string($0) + ":").utf8) }
    }

    /// The CSV header line.
    func csvHeader() -> [UInt8] {
        var line: [UInt8] = []
        CSVText.appendRecord(columns, to: &line)
        return line
    }

    /// Appends `row`, whose number is of `region` and whose recipient is in `timeZones` (its `time_zone` column, else
    /// its number's zones, space-separated), as one CSV line (CRLF) and one JSON line (LF).
    func append(_ row: ReportRow, region: String?, timeZones: String?, csv: inout [UInt8], jsonl: inout [UInt8]) {
        var line = Line(keys: jsonKeys, csv: csv, jsonl: jsonl)
        // The buffers move into `line` and back, so appending never copies them.
        csv = []
        jsonl = []
        line.number(row.line)
        // The input's own cells (an invalid phone_number may be `=cmd|…`) are neutralized like the extras.
        line.text(row.phoneInput, neutralizingCSV: true)
        line.text(row.countryInput, neutralizingCSV: true)
        line.text(row.e164)
        line.text(row.channel)
        line.text(row.status?.rawValue)
        line.text(row.outcome?.rawValue)
        line.number(row.attempts)
        line.text(row.errorCode)
        line.text(row.message)
        line.text(row.providerID)
        line.text(row.carrier)
        line.bool(row.isCellphone)
        line.number(row.httpStatus)
        line.text(row.startedAt)
        line.text(row.finishedAt)
        line.text(region)
        line.text(timeZones)
        for column in 0..<extraCount {
            line.text(column < row.extras.count ? row.extras[column] : "", neutralizingCSV: true)
        }
        line.csv.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        line.jsonl.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: "\n")])
        csv = line.csv
        jsonl = line.jsonl
    }

    /// One line being encoded: the next column's separators and key come before each value.
    private struct Line {
        let keys: [[UInt8]]
        var csv: [UInt8]
        var jsonl: [UInt8]
        var column = 0

        init(keys: [[UInt8]], csv: [UInt8], jsonl: [UInt8]) {
            self.keys = keys
            self.csv = csv
            self.jsonl = jsonl
        }

        /// A text value: the CSV field (empty for `nil`; spreadsheet-neutralized when asked) and a JSON string
        /// or `null`, both from one look at its bytes.
        mutating func text(_ value: String?, neutralizingCSV: Bool = false) {
            next()
            guard var value else { return JSONText.appendString(nil, to: &jsonl) }
            if neutralizingCSV, CSVText.needsNeutralizing(value) {
                CSVText.appendField(CSVText.neutralized(value), to: &csv)
                return JSONText.appendString(value, to: &jsonl)
            }
            value.withUTF8 { bytes in
                CSVText.appendField(bytes, to: &csv)
                JSONText.appendString(bytes, to: &jsonl)
            }
        }

        /// A number: its digits (empty for `nil`) and a JSON number or `null`.
        mutating func number(_ value: Int?) {
            next()
            if let value { csv.appendDecimal(value) }
            JSONText.appendNumber(value, to: &jsonl)
        }

        /// A flag: `true`/`false` (empty for `nil`) and a JSON boolean or `null`.
        mutating func bool(_ value: Bool?) {
            next()
            if let value { csv.append(contentsOf: (value ? "true" : "false").utf8) }
            JSONText.appendBool(value, to: &jsonl)
        }

        private mutating func next() {
            if column > 0 { csv.append(UInt8(ascii: ",")) }
            jsonl.append(column == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            jsonl.append(contentsOf: keys[column])
            column += 1
        }
    }
}
