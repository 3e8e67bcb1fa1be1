/// The life of one job row, as a pure value: events in, actions out.
///
/// It does no I/O, reads no clock and uses no randomness; the scheduler carries out the actions
/// and the store persists ``state`` (one `TEXT` value per case, see ``RowState/storedName``).
///
/// What `attempt` counts:
///
/// | value | meaning |
/// |---|---|
/// | `attempts` in `pending` / `waitingToRetry` / `inDoubt` | requests already sent for this row |
/// | `attempt` in `inFlight` | the number of the request now in flight, 1-based |
///
/// A request refused because the whole job cannot proceed (credentials) does not count: the row
/// goes back to `pending` with its earlier count, untouched. Nor does one answered 429 (for the account
/// or for the number): the API did not process it.
public struct RowStateMachine: Sendable, Equatable {
    /// The rules the machine applies.
    public struct Policy: Sendable, Equatable {
        /// Requests per row before it ends `failed` (`--max-attempts`).
        public var maxAttempts: Int
        /// What an unknown outcome leads to (`--in-doubt`).
        public var inDoubt: InDoubtPolicy
        /// How long a number refused for too many sends (V2 60203) waits: the code's lifetime
        /// (`--code-lifetime`), after which its verification has surely ended.
        public var sendLimitWait: Duration
        /// How long a number refused for too many concurrent requests (V2 60212) waits at least.
        public var numberBusyWait: Duration

        /// Creates a policy.
        public init(
            maxAttempts: Int, inDoubt: InDoubtPolicy, sendLimitWait: Duration = .seconds(600),
            numberBusyWait: Duration = .seconds(1)
        ) {
            self.maxAttempts = max(1, maxAttempts)
            self.inDoubt = inDoubt
            self.sendLimitWait = sendLimitWait
            self.numberBusyWait = numberBusyWait
        }
    }

    /// What the scheduler must do after an event.
    public enum Action: Sendable, Equatable {
        /// Mark the row in flight in the store, then send request number `attempt`.
        case send(attempt: Int)
        /// Record the final status.
        case finish(RowStatus)
        /// Wait (backoff, at least `retryAfter`), then send again.
        case retry(afterAttempt: Int, retryAfter: Duration?)
        /// The API is rate limiting: slow the send rate down, wait at least `retryAfter`, send again.
        case backOff(retryAfter: Duration?)
        /// A limit on this number: wait `wait`, then send again (not an attempt; the rate is untouched).
        case park(wait: Duration)
        /// Ask the provider whether the in-doubt request was processed.
        case checkStatus
        /// The status question itself failed (`afterFailedChecks` times so far): ask again after a backoff.
        case checkStatusLater(afterFailedChecks: Int)
        /// Put the row back into the queue of rows to send, with no delay.
        case requeue
        /// Stop the job: the row is untouched and waits for the next run.
        case pauseJob
        /// The event does not apply in this state.
        case none
    }

    /// The current state.
    public private(set) var state: RowState
    /// Status questions about the current in-doubt request that got no usable answer (not persisted:
    /// after a restart the row's questions start over).
    public private(set) var failedStatusChecks = 0
    /// The rules.
    public let policy: Policy

    /// Creates a machine in a given state (a new row is `.pending(attempts: 0)`).
    public init(state: RowState = .pending(attempts: 0), policy: Policy) {
        self.state = state
        self.policy = policy
    }

    /// The scheduler picked this row to send now.
    public mutating func sendRequested() -> Action {
        switch state {
        case .pending(let attempts), .waitingToRetry(let attempts):
            state = .inFlight(attempt: attempts + 1)
            return .send(attempt: attempts + 1)
        case .inFlight, .inDoubt, .finished:
            return .none
        }
    }

    /// The answer to the in-flight request arrived (or its transfer failed).
    ///
    /// - Parameter retryWindowLeft: how long the row may still be retried (`--retry-window` from its first
    ///   request): once it is over, a failure that would be retried ends the row `failed`; a number limit
    ///   whose wait would run past it ends the row `rejected`, with the API's message.
    public mutating func resultReceived(_ result: ProviderResult, retryWindowLeft: Duration = .seconds(1 << 40))
        -> Action
    {
        guard case .inFlight(let attempt) = state else { return .none }
        let retryWindowIsOver = retryWindowLeft <= .zero
        switch result.verdict {
        case .sent: return finish(.sent)
        case .approved: return finish(.approved)
        case .denied: return finish(.denied)
        case .rejectedNumber: return finish(.rejected)
        case .failedPermanently: return finish(.failed)
        case .fatalForJob:
            state = .pending(attempts: attempt - 1)
            return .pauseJob
        case .rateLimited(let retryAfter):
            if retryWindowIsOver { return finish(.failed) }
            state = .waitingToRetry(attempts: attempt - 1)
            return .backOff(retryAfter: retryAfter)
        case .numberLimited(let limit):
            let wait: Duration
            switch limit {
            case .sendAttempts: wait = policy.sendLimitWait
            case .concurrentRequests(let retryAfter): wait = max(retryAfter ?? .zero, policy.numberBusyWait)
            }
            if wait > retryWindowLeft { return finish(.rejected) }
            state = .waitingToRetry(attempts: attempt - 1)
            return .park(wait: wait)
        case .retryable(let retryAfter, mayHaveBeenProcessed: false):
            return retryOrGiveUp(attempts: attempt, retryAfter: retryAfter, windowIsOver: retryWindowIsOver)
        case .retryable(let retryAfter, mayHaveBeenProcessed: true):
            state = .inDoubt(attempts: attempt)
            return resolve(attempts: attempt, retryAfter: retryAfter, windowIsOver: retryWindowIsOver)
        }
    }

    /// The row was marked in flight but its request never left (the run stopped first): it goes back to
    /// waiting, with the attempt it would have made not counted.
    public mutating func sendWithdrawn() -> Action {
        guard case .inFlight(let attempt) = state else { return .none }
        state = .pending(attempts: attempt - 1)
        return .requeue
    }

    /// The process restarted and found this row still marked in flight: its request may have left.
    public mutating func recoveredAfterCrash() -> Action {
        guard case .inFlight(let attempt) = state else { return .none }
        state = .inDoubt(attempts: attempt)
        return resolveInDoubt()
    }

    /// Decide an in-doubt row under the policy (also used for rows found in doubt at start-up).
    public mutating func resolveInDoubt() -> Action {
        guard case .inDoubt(let attempts) = state else { return .none }
        let action = resolve(attempts: attempts, retryAfter: nil)
        guard action == .retry(afterAttempt: attempts, retryAfter: nil) else { return action }
        state = .pending(attempts: attempts)
        return .requeue
    }

    /// The provider answered the status question for an in-doubt row.
    ///
    /// - Parameter wasProcessed: `true` when the API knows the verification (the code went out),
    ///   `false` when it has no trace of it (safe to send), `nil` when the question itself failed: it
    ///   is asked again after a backoff, up to `maxAttempts` questions, and only then the row ends
    ///   `in_doubt` (nobody knows, and sending again could be a second SMS).
    public mutating func statusChecked(wasProcessed: Bool?, retryWindowIsOver: Bool = false) -> Action {
        guard case .inDoubt(let attempts) = state else { return .none }
        switch wasProcessed {
        case true?: return finish(.sent)
        case false?:
            failedStatusChecks = 0
            if attempts >= policy.maxAttempts || retryWindowIsOver { return finish(.failed) }
            state = .pending(attempts: attempts)
            return .requeue
        case nil:
            failedStatusChecks += 1
            guard failedStatusChecks < policy.maxAttempts else { return finish(.inDoubt) }
            return .checkStatusLater(afterFailedChecks: failedStatusChecks)
        }
    }

    /// The provider cannot tell whether the in-doubt request was processed, and never will (e.g. it is
    /// older than what the API keeps): the row ends `in_doubt`, never sent again.
    public mutating func statusUnknowable() -> Action {
        guard case .inDoubt = state else { return .none }
        return finish(.inDoubt)
    }

    private mutating func finish(_ status: RowStatus) -> Action {
        state = .finished(status, attempts: state.attempts)
        return .finish(status)
    }

    private mutating func retryOrGiveUp(attempts: Int, retryAfter: Duration?, windowIsOver: Bool = false) -> Action {
        guard attempts < policy.maxAttempts, !windowIsOver else { return finish(.failed) }
        state = .waitingToRetry(attempts: attempts)
        return .retry(afterAttempt: attempts, retryAfter: retryAfter)
    }

    private mutating func resolve(attempts: Int, retryAfter: Duration?, windowIsOver: Bool = false) -> Action {
        switch policy.inDoubt {
        case .report: return finish(.inDoubt)
        case .resend: return retryOrGiveUp(attempts: attempts, retryAfter: retryAfter, windowIsOver: windowIsOver)
        case .check: return .checkStatus
        }
    }
}

/// The persisted state of a row; see ``RowStateMachine``.
public enum RowState: Sendable, Equatable {
    /// Waiting to be sent; `attempts` requests were sent before.
    case pending(attempts: Int)
    /// Request number `attempt` may be on the wire.
    case inFlight(attempt: Int)
    /// A retryable failure happened after `attempts` requests; the scheduler holds the due time.
    case waitingToRetry(attempts: Int)
    /// The last of `attempts` requests may have been processed; nobody knows.
    case inDoubt(attempts: Int)
    /// Done, with its report status and the number of requests it took.
    case finished(RowStatus, attempts: Int)

    /// The `TEXT` value stored in `rows.state`.
    public var storedName: String {
        switch self {
        case .pending: return "pending"
        case .inFlight: return "in_flight"
        case .waitingToRetry: return "waiting"
        case .inDoubt: return "in_doubt"
        case .finished: return "finished"
        }
    }

    /// Requests sent so far for the row (the in-flight one included).
    public var attempts: Int {
        switch self {
        case .pending(let n), .waitingToRetry(let n), .inDoubt(let n), .inFlight(let n), .finished(_, let n):
            return n
        }
    }

    /// Rebuilds a state from its stored columns; `nil` for an unknown name.
    public init?(storedName: String, attempts: Int, status: RowStatus?) {
        switch storedName {
        case "pending": self = .pending(attempts: attempts)
        case "in_flight": self = .inFlight(attempt: attempts)
        case "waiting": self = .waitingToRetry(attempts: attempts)
        case "in_doubt": self = .inDoubt(attempts: attempts)
        case "finished":
            guard let status else { return nil }
            self = .finished(status, attempts: attempts)
        default: return nil
        }
    }
}
