/// `reports/JOB_ID/summary.html`: one self-contained page for the people a job's result is handed to —
/// the totals, a bar chart of the statuses, the results per region of the numbers, the error codes with their
/// meanings, and the requests per second over time. Inline CSS and SVG only: no script, no font, no image, nothing from the network.
///
/// A pure function of ``Content``; ``ReportWriter`` fills it from the store.
public enum SummaryPage {
    /// What the page shows.
    public struct Content: Sendable {
        /// The job's id.
        public var jobID: String
        /// The input file's name.
        public var fileName: String
        /// The provider of the run that wrote the page, if known.
        public var provider: String?
        /// The job's state (`finished`, or the state of a job looked at early).
        public var state: String
        /// Data rows in the input.
        public var totalRows: Int
        /// Rows per status, in the order of docs/contract.md, "Row statuses" (zero counts are left out).
        public var statuses: [(status: String, rows: Int)]
        /// Rows per error code and status.
        public var errorCodes: [ErrorCodeCount]
        /// Answered requests per wall-clock second (seconds since 1970), in time order.
        public var requestSeconds: [(second: Int, requests: Int)]
        /// Requests sent, retries among them.
        public var requests: Int, retries: Int
        /// The job's first send and its end, ISO 8601.
        public var startedAt: String?, finishedAt: String?
        /// Once `verifyd outcomes` has asked: `sent` rows per outcome, and the verified share of them (0…1).
        public var outcomes: (rows: [(outcome: String, rows: Int)], conversionRate: Double?)?
        /// Results per region of the numbers, most rows first.
        var regions: [RegionResults.Line] = []

        /// Creates the content.
        public init(
            jobID: String, fileName: String, provider: String?, state: String, totalRows: Int,
            statuses: [(status: String, rows: Int)], errorCodes: [ErrorCodeCount],
            requestSeconds: [(second: Int, requests: Int)], requests: Int, retries: Int, startedAt: String?,
            finishedAt: String?
        ) {
            self.jobID = jobID
            self.fileName = fileName
            self.provider = provider
            self.state = state
            self.totalRows = totalRows
            self.statuses = statuses
            self.errorCodes = errorCodes
            self.requestSeconds = requestSeconds
            self.requests = requests
            self.retries = retries
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }
    }

    /// The page, as HTML text.
    public static func html(_ content: Content) -> String {
        let title = "verifyd job \(content.jobID) — \(content.fileName.printable)"
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escaped(title))</title>
            <style>\(style)</style>
            </head>
            <body>
            <header>
            <h1>\(escaped(content.fileName.printable))</h1>
            <p>Job <code>\(escaped(content.jobID))</code> · \(escaped(content.state))\
            \(content.provider.map { " · " + escaped($0) } ?? "")\
            \(timeSpan(content).map { " · " + escaped($0) } ?? "")</p>
            </header>

            """
        page += totals(content)
        page += "<section>\n<h2>Rows by status</h2>\n" + statusChart(content.statuses) + "</section>\n"
        if let outcomes = content.outcomes {
            page += "<section>\n<h2>Who verified</h2>\n" + outcomeChart(outcomes) + "</section>\n"
        }
        if !content.regions.isEmpty {
            page += "<section>\n<h2>Results per region</h2>\n" + regionTable(content.regions) + "</section>\n"
        }
        page +=
            "<section>\n<h2>Error codes</h2>\n"
            + errorTable(content.errorCodes, provider: content.provider.flatMap(ProviderName.init(rawValue:)))
            + "</section>\n"
        page += "<section>\n<h2>Requests per second</h2>\n" + rateChart(content.requestSeconds) + "</section>\n"
        page += """
            <footer>Written by verifyd. Every row is in <a href="report.csv">report.csv</a>; \
            rows worth sending again, if any, are in <a href="retry.csv">retry.csv</a>.</footer>
            </body>
            </html>

            """
        return page
    }

    // MARK: Parts

    private static func totals(_ content: Content) -> String {
        let count = { (names: [String]) in
            content.statuses.filter { names.contains($0.status) }.reduce(0) { $0 + $1.rows }
        }
        let cards: [(label: String, value: String, note: String)] = [
            ("rows", "\(content.totalRows)", "in the file"),
            (
                "sent or approved", "\(count(["sent", "approved", "would_send"]))",
                "codes on their way, or checks passed"
            ),
            ("refused", "\(count(["rejected", "denied"]))", "by the API, for good"),
            ("not sent", "\(count(["invalid", "duplicate", "skipped"]))", "invalid, duplicate or skipped"),
            ("need attention", "\(count(["failed", "in_doubt", "unfinished"]))", "failed, in doubt or unfinished"),
            ("requests", "\(content.requests)", "\(content.retries) of them retries"),
        ]
        var html = "<section class=\"totals\">\n"
        for card in cards {
            html +=
                "<div class=\"card\"><span class=\"value\">\(card.value)</span>"
                + "<span class=\"label\">\(escaped(card.label))</span>"
                + "<span class=\"note\">\(escaped(card.note))</span></div>\n"
        }
        return html + "</section>\n"
    }

    /// A horizontal bar per status, scaled to the largest.
    private static func statusChart(_ statuses: [(status: String, rows: Int)], label: String = "Rows by status")
        -> String
    {
        guard let largest = statuses.map(\.rows).max(), largest > 0 else { return "<p>No rows.</p>\n" }
        let barHeight = 28, labelWidth = 110, barWidth = 520, width = 760
        let height = statuses.count * barHeight + 8
        var svg = """
            <svg class="chart" role="img" aria-label="\(label)" viewBox="0 0 \(width) \(height)" \
            width="\(width)" height="\(height)" xmlns="http://www.w3.org/2000/svg">

            """
        for (index, entry) in statuses.enumerated() {
            let y = index * barHeight + 4
            let length = max(2, Int((Double(entry.rows) / Double(largest) * Double(barWidth)).rounded()))
            svg += """
                <text x="\(labelWidth - 10)" y="\(y + 18)" text-anchor="end">\(escaped(entry.status))</text>\
                <rect x="\(labelWidth)" y="\(y + 3)" width="\(length)" height="\(barHeight - 8)" \
                fill="\(colour(of: entry.status))"><title>\(escaped(entry.status)): \(entry.rows)</title></rect>\
                <text x="\(labelWidth + length + 8)" y="\(y + 18)">\(entry.rows)</text>

                """
        }
        return svg + "</svg>\n"
    }

    /// The outcomes of the `sent` rows as bars, with the conversion rate.
    private static func outcomeChart(_ outcomes: (rows: [(outcome: String, rows: Int)], conversionRate: Double?))
        -> String
    {
        let rate = outcomes.conversionRate.map { "\(format($0 * 100)) %" } ?? "–"
        return "<p><strong>Conversion: \(rate)</strong> of the sent codes were given back right. Rows to act on "
            + "are in <a href=\"not_verified.csv\">not_verified.csv</a>.</p>\n"
            + statusChart(
                outcomes.rows.filter { $0.rows > 0 }.map { ($0.outcome, $0.rows) }, label: "Sent rows by outcome")
    }

    private static func errorTable(_ counts: [ErrorCodeCount], provider: ProviderName?) -> String {
        guard !counts.isEmpty else { return "<p>No row ended with an error code.</p>\n" }
        var html = """
            <table>
            <thead><tr><th>code</th><th>status</th><th class="number">rows</th><th>what it means</th></tr></thead>
            <tbody>

            """
        for count in counts {
            html +=
                "<tr><td><code>\(escaped(count.code))</code></td><td>\(escaped(count.status))</td>"
                + "<td class=\"number\">\(count.rows)</td><td>\(escaped(ErrorCodeMeaning.describe(count, provider: provider)))</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// Rows, sends, verified codes and conversion per region, a possible SMS pumping target marked.
    private static func regionTable(_ lines: [RegionResults.Line]) -> String {
        var html = """
            <table>
            <thead><tr><th>region</th><th class="number">rows</th><th class="number">sent</th>\
            <th class="number">verified</th><th class="number">conversion</th><th></th></tr></thead>
            <tbody>

            """
        for line in lines {
            let conversion = line.conversionRate.map { "\(($0 * 1000).rounded() / 10) %" } ?? "—"
            let flag =
                line.possiblePumping
                ? "possible SMS pumping target: at least \(RegionResults.pumpingMinimumSends) sends, "
                    + "converting below a third of the job" : ""
            html +=
                "<tr\(line.possiblePumping ? " class=\"flagged\"" : "")><td>\(escaped(line.region ?? "no number"))</td>"
                + "<td class=\"number\">\(line.rows)</td><td class=\"number\">\(line.sent)</td>"
                + "<td class=\"number\">\(line.verified.map(String.init) ?? "—")</td>"
                + "<td class=\"number\">\(conversion)</td><td>\(escaped(flag))</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// Requests per second from the first answered second to the last, as an area chart; long jobs are
    /// averaged into at most ``maxPoints`` buckets.
    static func rateChart(_ seconds: [(second: Int, requests: Int)]) -> String {
        guard let first = seconds.first?.second, let last = seconds.last?.second else {
            return "<p>No requests were sent (a dry run, or nothing left to send).</p>\n"
        }
        let span = last - first + 1
        let bucket = max(1, (span + maxPoints - 1) / maxPoints)
        var sums = [Int](repeating: 0, count: (span + bucket - 1) / bucket)
        for entry in seconds { sums[(entry.second - first) / bucket] += entry.requests }
        let rates = sums.map { Double($0) / Double(bucket) }
        let peak = max(1, rates.max() ?? 1)
        let top = niceCeiling(peak)
        let left = 56.0, right = 16.0, topMargin = 12.0, bottom = 32.0, width = 760.0, height = 260.0
        let plotWidth = width - left - right, plotHeight = height - topMargin - bottom
        let x = { (index: Int) in
            left + (rates.count == 1 ? plotWidth / 2 : plotWidth * Double(index) / Double(rates.count - 1))
        }
        let y = { (rate: Double) in topMargin + plotHeight * (1 - rate / top) }
        var points = ""
        for (index, rate) in rates.enumerated() { points += "\(format(x(index))),\(format(y(rate))) " }
        let baseline = format(y(0))
        var svg = """
            <svg class="chart" role="img" aria-label="Requests per second over time" \
            viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" \
            xmlns="http://www.w3.org/2000/svg">

            """
        for step in 0...4 {
            let value = top * Double(step) / 4
            svg +=
                "<line class=\"grid\" x1=\"\(format(left))\" x2=\"\(format(width - right))\" y1=\"\(format(y(value)))\" "
                + "y2=\"\(format(y(value)))\"/><text x=\"\(format(left - 8))\" y=\"\(format(y(value) + 4))\" "
                + "text-anchor=\"end\">\(format(value))</text>\n"
        }
        svg += """
            <polygon class="area" points="\(format(x(0))),\(baseline) \(points)\(format(x(rates.count - 1))),\(baseline)"/>
            <polyline class="line" points="\(points)"/>

            """
        for fraction in [0.0, 0.5, 1.0] {
            let index = Int((Double(rates.count - 1) * fraction).rounded())
            let anchor = fraction == 0 ? "start" : fraction == 1 ? "end" : "middle"
            svg +=
                "<text x=\"\(format(x(index)))\" y=\"\(format(height - 10))\" text-anchor=\"\(anchor)\">"
                + "\(DurationText.describe(seconds: index * bucket))</text>\n"
        }
        let note = bucket > 1 ? " Each point is the average of \(bucket) seconds." : ""
        return svg + "</svg>\n<p class=\"note\">Answered requests per second since the first one; "
            + "peak \(format(peak))/s.\(note)</p>\n"
    }

    /// The most points the rate chart draws.
    static let maxPoints = 600

    // MARK: Helpers

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attribute values.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// The smallest of 1, 2, 2.5, 5 × 10ⁿ at least `value`: the rate axis' top.
    private static func niceCeiling(_ value: Double) -> Double {
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        return [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= value } ?? value
    }

    /// A number with at most one decimal, without a trailing `.0`.
    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// e.g. `sent 2026-11-27 03:12:40 to 03:17:14 UTC` (the end's date only when it differs).
    static func timeSpan(_ content: Content) -> String? {
        guard let started = content.startedAt.map(readable) else { return nil }
        guard let finished = content.finishedAt.map(readable) else { return "sending since \(started) UTC" }
        let sameDay = started.prefix(11) == finished.prefix(11)
        return "sent \(started) to \(sameDay ? String(finished.dropFirst(11)) : finished) UTC"
    }

    /// An ISO 8601 time stamp (`2026-11-27T03:12:40.750Z`) as `2026-11-27 03:12:40`.
    private static func readable(_ stamp: String) -> String {
        String(stamp.prefix(19).map { $0 == "T" ? " " : $0 })
    }

    private static func colour(of status: String) -> String {
        switch status {
        case "sent", "approved", "verified": return "#2e7d32"
        case "pending": return "#1565c0"
        case "not_verified": return "#ef6c00"
        case "would_send": return "#1565c0"
        case "denied", "rejected": return "#ef6c00"
        case "failed": return "#c62828"
        case "in_doubt": return "#f9a825"
        default: return "#78909c"
        }
    }

    private static let style = """
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2933;\
        margin:0 auto;max-width:820px;padding:24px}\
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}header p{margin:0;color:#52606d}\
        code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px}\
        .totals{display:grid;grid-template-columns:repeat(3,1fr);gap:10px;margin-top:18px}\
        .card{border:1px solid #d9e2ec;border-radius:6px;padding:10px 12px;display:flex;flex-direction:column}\
        .card .value{font-size:24px;font-weight:600}.card .label{font-weight:600}.card .note{color:#52606d;font-size:13px}\
        .chart{max-width:100%;height:auto;font-size:13px;fill:#1f2933}\
        .chart .grid{stroke:#e4e7eb}.chart .area{fill:#bcd3f0}.chart .line{fill:none;stroke:#1565c0;stroke-width:1.5}\
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e4e7eb;\
        vertical-align:top}th{font-size:13px;color:#52606d}.number{text-align:right}\
        .note{color:#52606d;font-size:13px}footer{margin-top:28px;color:#52606d;font-size:13px}\
        tr.flagged td{background:#fdecea}
        """
}
