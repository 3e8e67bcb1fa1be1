/// The final status of a job row, exactly the words of docs/contract.md, "Row statuses", in its order.
///
/// A row carries one of these once it is finished; the report prints ``rawValue``.
public enum RowStatus: String, Sendable, Equatable, CaseIterable, Codable {
    /// The API accepted the start request: a code is on its way.
    case sent
    /// Check row: the code was right.
    case approved
    /// Check row: the code was wrong or expired.
    case denied
    /// The API refused this number for good.
    case rejected
    /// Could not be normalized; never sent.
    case invalid
    /// The same number appears earlier in the job.
    case duplicate
    /// Sent successfully within the cooldown window by an earlier job.
    case skipped
    /// Gave up: retries exhausted or a permanent non-number error.
    case failed
    /// The request may have been delivered and was deliberately not re-sent (`--in-doubt report`).
    case inDoubt = "in_doubt"
    /// `--dry-run` only: valid, not a duplicate, would have been sent.
    case wouldSend = "would_send"
    /// An operator canceled the job before the row was sent (`verifyd cancel`); listed in `retry.csv`.
    case canceled
}
