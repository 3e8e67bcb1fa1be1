public import Dispatch

/// A provider's own way of finding out whether requests in doubt were processed, working beside the scheduler
/// (V2 lists the Verification Attempts API: ``AttemptsLookUp``). The scheduler hands it rows whose machine said
/// ``RowStateMachine/Action/lookUp`` and applies what it reports to their machines.
///
/// Every call is made on the scheduler's queue, and the look-up reports there (``begin(on:report:)``).
public protocol InDoubtLookUp: AnyObject {
    /// Starts the look-up's work for one run: it reports findings on `queue` through `report`, with the requests
    /// they cost (counted in the job's requests).
    func begin(on queue: DispatchQueue, report: @escaping @Sendable (InDoubtLookUpReport) -> Void)
    /// Takes a row in doubt.
    ///
    /// - Parameters:
    ///   - sequence: the row.
    ///   - e164: its number.
    ///   - sentAt: when its request left (its row was marked in flight just before), seconds since 1970.
    ///   - leftBy: a moment after which the request could no longer leave (its transfer had ended, or the process
    ///     that sent it was dead), seconds since 1970.
    ///   - now: the time, seconds since 1970.
    func add(sequence: Int, e164: String, sentAt: Double, leftBy: Double, now: Double)
    /// Starts the look-ups that are due now; `jobIsIdle`: nothing else is in flight or waiting, so rows need not
    /// wait to be batched. Returns when to be asked again (seconds since 1970), if rows wait for a later time.
    func lookUpDue(now: Double, jobIsIdle: Bool) -> Double?
    /// Whether it holds rows not yet decided (the job does not end before they are).
    var holdsRows: Bool { get }
    /// Whether some of them wait for their time rather than for a look-up under way.
    var hasWaitingRows: Bool { get }
}

/// What a look-up found: a finding per row, and the requests it cost.
public struct InDoubtLookUpReport: Sendable {
    /// The rows decided (or not answerable now) and what was found for each.
    public var findings: [(sequence: Int, finding: InDoubtFinding)]
    /// Requests the look-up sent.
    public var requests: Int

    /// Creates a report.
    public init(findings: [(sequence: Int, finding: InDoubtFinding)], requests: Int) {
        self.findings = findings
        self.requests = requests
    }
}

/// What a look-up found about one row in doubt.
public enum InDoubtFinding: Sendable, Equatable {
    /// The request was processed: the row ends with this result (`sent`, with the verification's id if known).
    case processed(ProviderResult)
    /// The API has no trace of it: the row may be sent again.
    case notProcessed
    /// The API can never tell: the row ends in doubt, with this result as its answer.
    case cannotTell(ProviderResult)
    /// The question could not be answered now: it is asked again after a backoff; the result says why.
    case unanswered(ProviderResult)
}
