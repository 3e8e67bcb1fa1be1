/// What the scheduler does next for one row once its ``RowStateMachine`` has acted: wait and send again, ask
/// about a request in doubt (and how), record it, or pause the job. A pure decision, table-tested in
/// `RowFollowUpTests`; ``JobScheduler`` carries it out.
enum RowFollowUp: Equatable {
    /// Record the row's final status.
    case finish(RowStatus)
    /// Record the row, then send it again after the wait (a backoff, a `Retry-After`, a number's own limit).
    case sendAgain(after: Duration)
    /// Record the row and put it first in line, at once.
    case requeue
    /// Ask the provider's status endpoint whether the request in doubt was processed (V1).
    case askStatus
    /// Look the row up in the Verification Attempts API (V2).
    case lookUp
    /// A check in doubt: a check sends no code, so the machine may treat it as not processed and check again.
    case checkAgain
    /// The run is stopping and takes no new request: record the row in doubt for the next run.
    case leaveInDoubt
    /// There is no way to ask: the machine says what becomes of the row (it stays in doubt).
    case cannotAsk
    /// The status question got no usable answer: ask again after the wait.
    case askStatusLater(after: Duration)
    /// Record the row untouched and pause the job.
    case pauseJob
    /// Nothing to do here (a send is the pump's; an event that did not apply).
    case nothing

    /// How a row in doubt can be asked about, and whether the run still takes requests.
    struct Means: Equatable {
        /// A start or a check.
        var kind: VerificationKind
        /// Whether the provider has a status question by number (V1).
        var hasStatusQuestion: Bool
        /// Whether rows in doubt can be looked up in the Verification Attempts API (V2).
        var hasAttemptsLookUp: Bool
        /// Whether the run is stopping.
        var stopping: Bool
    }

    /// The follow-up of `action` for a row with `means`; waits are drawn from `retryPolicy`.
    static func decide(_ action: RowStateMachine.Action, means: Means, retryPolicy: RetryPolicy) -> RowFollowUp {
        switch action {
        case .finish(let status):
            return .finish(status)
        case .retry(let attempts, let retryAfter):
            return .sendAgain(after: retryPolicy.delay(afterAttempt: attempts, retryAfter: retryAfter))
        case .backOff(let retryAfter):
            return .sendAgain(after: retryPolicy.delay(afterAttempt: 1, retryAfter: retryAfter))
        case .park(let wait):
            return .sendAgain(after: wait)
        case .requeue:
            return .requeue
        case .checkStatus:
            if means.stopping { return .leaveInDoubt }
            if means.kind == .check { return .checkAgain }
            if means.hasStatusQuestion { return .askStatus }
            return means.hasAttemptsLookUp ? .lookUp : .cannotAsk
        case .checkStatusLater(let failedChecks):
            return .askStatusLater(after: retryPolicy.delay(afterAttempt: failedChecks, retryAfter: nil))
        case .pauseJob:
            return .pauseJob
        case .send, .none:
            return .nothing
        }
    }
}
