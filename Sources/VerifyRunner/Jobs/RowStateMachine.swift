/// The life of one job row, as a pure value: events in, the scheduler's next step for the row out.
///
/// It does no I/O, reads no clock and uses no randomness; the scheduler carries out the actions (one step each,
/// no action sends it back here) and the store persists ``state`` (one `TEXT` value per case, see
/// ``RowState/storedName``). What the machine must know of the moment of an event (the retry window left,
/// whether the run is stopping) comes with the event as a ``Moment``.
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
///
/// A row in doubt is asked about as its provider allows (``InDoubtQuestion``): a status question, a look-up,
/// or not at all (it ends `in_doubt`). A check row in doubt is checked again instead: a check sends no code.
public struct RowStateMachine: Sendable, Equatable {
    /// The rules the machine applies.
    public struct Policy: Sendable, Equatable {
        /// Requests per row before it ends `failed` (`--max-attempts`).
        public var maxAttempts: Int
        /// What an unknown outcome leads to (`--in-doubt`).
        public var inDoubt: InDoubtPolicy
        /// How the provider can be asked about a request in doubt.
        public var inDoubtQuestion: InDoubtQuestion
        /// How long a number refused for too many sends (V2 60203) waits: the code's lifetime
        /// (`--code-lifetime`), after which its verification has surely ended.
        public var sendLimitWait: Duration
        /// How long a number refused for too many concurrent requests (V2 60212) waits at least.
        public var numberBusyWait: Duration

        /// Creates a policy.
        public init(
            maxAttempts: Int, inDoubt: InDoubtPolicy, inDoubtQuestion: InDoubtQuestion = .statusQuestion,
            sendLimitWait: Duration = .seconds(600), numberBusyWait: Duration = .seconds(1)
        ) {
            self.maxAttempts = max(1, maxAttempts)
            self.inDoubt = inDoubt
            self.inDoubtQuestion = inDoubtQuestion
            self.sendLimitWait = sendLimitWait
            self.numberBusyWait = numberBusyWait
        }
    }

    /// What the machine must know of the moment an event happens.
    public struct Moment: Sendable, Equatable {
        /// How long the row may still be retried (`--retry-window` from its first request): once it is over, a
        /// failure that would be retried ends the row `failed`; a number limit whose wait would run past it ends
        /// the row `rejected`, with the API's message.
        public var retryWindowLeft: Duration
        /// Whether the run is stopping: it takes no new request, not even a question about a row in doubt.
        public var stopping: Bool

        /// Creates a moment.
        public init(retryWindowLeft: Duration = .seconds(1 << 40), stopping: Bool = false) {
            self.retryWindowLeft = retryWindowLeft
            self.stopping = stopping
        }

        /// Whether the retry window is over.
        var retryWindowIsOver: Bool { retryWindowLeft <= .zero }
    }

    /// How long to wait before the next request: a backoff the scheduler draws from its ``RetryPolicy``
    /// (randomness is the scheduler's), or an exact wait.
    public enum Wait: Sendable, Equatable {
        /// The backoff after `afterAttempt` requests, never shorter than the server's `Retry-After`.
        case backoff(afterAttempt: Int, retryAfter: Duration?)
        /// Exactly this long (a number's own limit).
        case exactly(Duration)

        /// The wait drawn from `retryPolicy`.
        public func duration(with retryPolicy: RetryPolicy) -> Duration {
            switch self {
            case .backoff(let attempts, let retryAfter):
                retryPolicy.delay(afterAttempt: attempts, retryAfter: retryAfter)
            case .exactly(let wait): wait
            }
        }
    }

    /// What the scheduler does next for the row.
    public enum Action: Sendable, Equatable {
        /// Mark the row in flight in the store, then send request number `attempt`.
        case send(attempt: Int)
        /// Record the final status.
        case finish(RowStatus)
        /// Record the row, then send it again after the wait (a backoff, a `Retry-After`, a number's own limit).
        case sendAgain(after: Wait)
        /// Record the row and put it first in line, at once.
        case requeue
        /// Ask the provider's status question whether the request in doubt was processed.
        case askStatus
        /// Hand the row in doubt to the provider's look-up.
        case lookUp
        /// The status question got no usable answer: ask again after the wait.
        case askStatusLater(after: Wait)
        /// The run is stopping and takes no new request: record the row in doubt for the next run.
        case leaveInDoubt
        /// Record the row untouched and pause the job.
        case pauseJob
        /// The event does not apply in this state.
        case none
    }

    /// The current state.
    public private(set) var state: RowState
    /// Whether the row starts or checks a verification.
    public let kind: VerificationKind
    /// Status questions about the current in-doubt request that got no usable answer (not persisted:
    /// after a restart the row's questions start over).
    public private(set) var failedStatusChecks = 0
    /// The rules.
    public let policy: Policy

    /// Creates a machine in a given state (a new row is `.pending(attempts: 0)`).
    public init(state: RowState = .pending(attempts: 0), kind: VerificationKind = .start, policy: Policy) {
        self.state = state
        self.kind = kind
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
    public mutating func resultReceived(_ result: ProviderResult, at moment: Moment = Moment()) -> Action {
        guard case .inFlight(let attempt) = state else { return .none }
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
            if moment.retryWindowIsOver { return finish(.failed) }
            state = .waitingToRetry(attempts: attempt - 1)
            return .sendAgain(after: .backoff(afterAttempt: 1, retryAfter: retryAfter))
        case .numberLimited(let limit):
            let wait: Duration
            switch limit {
            case .sendAttempts: wait = policy.sendLimitWait
            case .concurrentRequests(let retryAfter): wait = max(retryAfter ?? .zero, policy.numberBusyWait)
            }
            if wait > moment.retryWindowLeft { return finish(.rejected) }
            state = .waitingToRetry(attempts: attempt - 1)
            return .sendAgain(after: .exactly(wait))
        case .retryable(let retryAfter, mayHaveBeenProcessed: false):
            return retryOrGiveUp(attempts: attempt, retryAfter: retryAfter, windowIsOver: moment.retryWindowIsOver)
        case .retryable(let retryAfter, mayHaveBeenProcessed: true):
            state = .inDoubt(attempts: attempt)
            switch policy.inDoubt {
            case .report: return finish(.inDoubt)
            case .resend:
                return retryOrGiveUp(attempts: attempt, retryAfter: retryAfter, windowIsOver: moment.retryWindowIsOver)
            case .check: return ask(at: moment)
            }
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
    public mutating func recoveredAfterCrash(at moment: Moment = Moment()) -> Action {
        guard case .inFlight(let attempt) = state else { return .none }
        state = .inDoubt(attempts: attempt)
        return resolveInDoubt(at: moment)
    }

    /// Decide an in-doubt row under the policy (rows found in doubt when loaded): `--in-doubt resend` puts it
    /// back in line at once.
    public mutating func resolveInDoubt(at moment: Moment = Moment()) -> Action {
        guard case .inDoubt(let attempts) = state else { return .none }
        switch policy.inDoubt {
        case .report: return finish(.inDoubt)
        case .resend:
            guard attempts < policy.maxAttempts else { return finish(.failed) }
            state = .pending(attempts: attempts)
            return .requeue
        case .check: return ask(at: moment)
        }
    }

    /// The wait after an unanswered status question is over: ask again.
    public mutating func askAgain(at moment: Moment = Moment()) -> Action {
        guard case .inDoubt = state else { return .none }
        return ask(at: moment)
    }

    /// The provider answered the question about an in-doubt row.
    ///
    /// - Parameter wasProcessed: `true` when the API knows the verification (the code went out),
    ///   `false` when it has no trace of it (safe to send), `nil` when the question itself failed: it
    ///   is asked again after a backoff, up to `maxAttempts` questions, and only then the row ends
    ///   `in_doubt` (nobody knows, and sending again could be a second SMS).
    public mutating func statusChecked(wasProcessed: Bool?, at moment: Moment = Moment()) -> Action {
        guard case .inDoubt(let attempts) = state else { return .none }
        switch wasProcessed {
        case true?: return finish(.sent)
        case false?:
            failedStatusChecks = 0
            if attempts >= policy.maxAttempts || moment.retryWindowIsOver { return finish(.failed) }
            state = .pending(attempts: attempts)
            return .requeue
        case nil:
            failedStatusChecks += 1
            guard failedStatusChecks < policy.maxAttempts else { return finish(.inDoubt) }
            return .askStatusLater(after: .backoff(afterAttempt: failedStatusChecks, retryAfter: nil))
        }
    }

    /// The provider cannot tell whether the in-doubt request was processed, and never will (e.g. it is
    /// older than what the API keeps): the row ends `in_doubt`, never sent again.
    public mutating func statusUnknowable() -> Action {
        guard case .inDoubt = state else { return .none }
        return finish(.inDoubt)
    }

    /// How a row in doubt is asked about. A stopping run asks nothing. A check sends no code, so a check in doubt
    /// is taken as not processed and checked again (if the lost check was the one that approved the code, the
    /// second finds nothing pending and the row ends denied; see docs/in-doubt.md).
    private mutating func ask(at moment: Moment) -> Action {
        if moment.stopping { return .leaveInDoubt }
        if kind == .check { return statusChecked(wasProcessed: false, at: moment) }
        switch policy.inDoubtQuestion {
        case .statusQuestion: return .askStatus
        case .lookUp: return .lookUp
        case .unaskable: return statusUnknowable()
        }
    }

    /// The job was canceled: a row not sent again ends `canceled` (the scheduler asks this instead of sending it).
    public mutating func cancel() -> Action { finish(.canceled) }

    /// `--send-window` never opens for the row's recipient: a row waiting for a request ends `skipped`.
    public mutating func skip() -> Action {
        switch state {
        case .pending, .waitingToRetry: finish(.skipped)
        case .inFlight, .inDoubt, .finished: .none
        }
    }

    private mutating func finish(_ status: RowStatus) -> Action {
        state = .finished(status, attempts: state.attempts)
        return .finish(status)
    }

    private mutating func retryOrGiveUp(attempts: Int, retryAfter: Duration?, windowIsOver: Bool) -> Action {
        guard attempts < policy.maxAttempts, !windowIsOver else { return finish(.failed) }
        state = .waitingToRetry(attempts: attempts)
        return .sendAgain(after: .backoff(afterAttempt: attempts, retryAfter: retryAfter))
    }
}

/// How a provider can be asked whether a request in doubt was processed.
public enum InDoubtQuestion: Sendable, Equatable {
    /// One status question per row, sent through the scheduler's window like any request (V1).
    case statusQuestion
    /// A look-up by the provider's own collaborator (V2's Verification Attempts API).
    case lookUp
    /// No way to ask: a row in doubt ends `in_doubt`.
    case unaskable
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
