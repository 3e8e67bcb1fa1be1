/// A job's results per region of its numbers (the region libphonenumber gives each row's E.164 number), for
/// `summary.json` and `summary.html`: rows, sends, verified codes and the conversion. A region with at least
/// ``pumpingMinimumSends`` sends whose conversion is below a third of the job's own is flagged as a possible SMS
/// pumping target: traffic inflated by a fraudster's numbers converts to almost nothing.
struct RegionResults {
    /// One region's figures, as the summaries show them.
    struct Line: Equatable {
        /// The region (`US`, `001` for non-geographic numbers), or `nil` for rows without a number.
        let region: String?
        /// Rows of the job.
        let rows: Int
        /// `sent` rows.
        let sent: Int
        /// `sent` rows whose code was given; `nil` until outcomes are asked.
        let verified: Int?
        /// Verified among sent (0…1); `nil` until outcomes are asked, or with no send.
        let conversionRate: Double?
        /// Whether the region converts far worse than the job: a possible SMS pumping target.
        let possiblePumping: Bool
    }

    /// Sends from which a region's conversion is judged against the job's.
    static let pumpingMinimumSends = 100

    /// The tallies per region (`""` for rows without a number).
    private var tallies: [String: (rows: Int, sent: Int, verified: Int)] = [:]

    /// Counts one report row, whose number is of `region` (``PhoneNormalizer/region(ofE164:)``).
    mutating func count(_ row: ReportRow, region: String?) {
        let region = region ?? ""
        let sent = row.status == .sent
        tallies[region, default: (0, 0, 0)].rows += 1
        if sent { tallies[region, default: (0, 0, 0)].sent += 1 }
        if sent, row.outcome == .verified { tallies[region, default: (0, 0, 0)].verified += 1 }
    }

    /// The lines, most rows first (then by region); verified counts and conversions once outcomes are `asked`.
    func lines(outcomesAsked asked: Bool) -> [Line] {
        let sent = tallies.values.reduce(0) { $0 + $1.sent }
        let verified = tallies.values.reduce(0) { $0 + $1.verified }
        let jobConversion = asked && sent > 0 ? Double(verified) / Double(sent) : nil
        return tallies.sorted { ($1.value.rows, $0.key) < ($0.value.rows, $1.key) }.map { region, tally in
            let conversion = asked && tally.sent > 0 ? Double(tally.verified) / Double(tally.sent) : nil
            let pumping =
                if let conversion, let jobConversion, tally.sent >= Self.pumpingMinimumSends {
                    conversion < jobConversion / 3
                } else {
                    false
                }
            return Line(
                region: region.isEmpty ? nil : region, rows: tally.rows, sent: tally.sent,
                verified: asked ? tally.verified : nil, conversionRate: conversion, possiblePumping: pumping)
        }
    }
}
