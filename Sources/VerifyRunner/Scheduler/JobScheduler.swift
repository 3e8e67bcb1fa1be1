import Dispatch
import Synchronization
public import Logging

/// Sends one job's rows: carries out what its ``SchedulerMachine`` decides (the concurrency window, the
/// token bucket, rate control, the group commit, the end of the run) and what each row's
/// ``RowStateMachine`` and ``RowFollowUp`` decide (retries, in-doubt questions), and does the I/O: the
/// store, the transport, timers, logs and metrics.
///
/// All of its state lives on one serial DispatchQueue; transfers run on the transport's own thread
/// and their completions come back to that queue. Nothing here runs on Swift's cooperative pool.
///
/// The order of things for a row (docs/design.md, principle 1):
/// 1. the row is marked `in_flight` in the store, in the same transaction as the results that
///    arrived since the last commit (the group commit);
/// 2. only then is its request handed to the transport;
/// 3. the answer updates its ``RowStateMachine``; the resulting write joins the next commit.
public final class JobScheduler: @unchecked Sendable {
    // @unchecked: every mutable property below is touched only on `queue`.

    /// Sending settings, filled from `verifyd run`'s options.
    public struct Configuration: Sendable {
        /// Requests in flight at most (`--concurrency`).
        public var concurrency: Int
        /// Requests per second at most, 0 = unlimited (`--rate`).
        public var rate: Double
        /// Requests per row at most (`--max-attempts`).
        public var maxAttempts: Int
        /// What to do with requests whose fate is unknown (`--in-doubt`).
        public var inDoubt: InDoubtPolicy
        /// Time limit of one request (`--timeout`).
        public var timeout: Duration
        /// Rows loaded from the store at a time.
        public var loadBatch: Int
        /// How long after a row's first request it may still be retried (`--retry-window`); a failure
        /// that would be retried after that ends the row `failed`.
        public var retryWindow: Duration
        /// `--log-numbers`: log phone numbers in full instead of masked (``PhoneMask``).
        public var logNumbers: Bool
        /// `--in-doubt-margin`: how long after a request can no longer leave its attempt is surely listed by
        /// the Verification Attempts API (V2 in-doubt look-ups, ``AttemptEvidence``).
        public var inDoubtMargin: Duration
        /// `--code-lifetime`: how long a number refused for too many sends (V2 60203) waits.
        public var sendLimitWait: Duration

        /// Creates a configuration with the command line's defaults.
        public init(
            concurrency: Int = 32, rate: Double = 50, maxAttempts: Int = 5, inDoubt: InDoubtPolicy = .check,
            timeout: Duration = .seconds(15), loadBatch: Int = 2000, retryWindow: Duration = .seconds(600),
            logNumbers: Bool = false, inDoubtMargin: Duration = .seconds(60), sendLimitWait: Duration = .seconds(600)
        ) {
            self.concurrency = max(1, concurrency)
            self.rate = max(0, rate)
            self.maxAttempts = max(1, maxAttempts)
            self.inDoubt = inDoubt
            self.timeout = timeout
            self.loadBatch = max(1, loadBatch)
            self.retryWindow = retryWindow
            self.logNumbers = logNumbers
            self.inDoubtMargin = inDoubtMargin
            self.sendLimitWait = sendLimitWait
        }
    }

    /// How a run of a job ended.
    public enum Outcome: Sendable, Equatable {
        /// Every row has a final status.
        case finished
        /// The API refused the job as a whole (e.g. credentials); rows untouched; exit 1.
        case paused(reason: String)
        /// A stop was requested; unfinished rows wait for the next run.
        case stopped
        /// The store failed (disk full, read-only…); the job is as the last commit left it.
        case storeFailed(String)
        /// Another runner of a shared store found this one gone (``RunnerLease``): the rows it held are not its
        /// own any more, so it dropped them unwritten; `unsent` requests it had prepared for them never left.
        case leaseLost(LeaseLoss, unsent: Int)
    }

    private let jobID: String
    private let store: any JobStoring
    private let provider: any VerificationProvider
    private let transport: any HTTPTransport
    private let configuration: Configuration
    private let retryPolicy: RetryPolicy
    private let logger: Logger
    private let metrics: RunMetrics?
    private let queue: DispatchQueue
    /// The Verification Attempts API's client, for providers that look in-doubt rows up there (V2).
    private let attemptsClient: AttemptsClient?
    /// The runner's lease on the rows: the deadline its requests carry, and whether it was lost.
    private let lease: RunnerLease?

    /// The scheduler's decisions: window, tokens, rate, commits, loads, the end of the run.
    private var decisions: SchedulerMachine
    /// Each loaded, unfinished row's own state machine, and its number and kind.
    private var machines: [Int: RowStateMachine] = [:]
    private var targets: [Int: VerificationTarget] = [:]
    /// When each unfinished row's first request left (seconds since 1970): its retry window's start.
    private var firstSentAt: [Int: Double] = [:]
    /// When each unfinished row was last marked in flight (seconds since 1970): its latest request left
    /// right after.
    private var lastSentAt: [Int: Double] = [:]
    /// For rows in doubt: a moment after which their request could no longer leave (the transfer had ended,
    /// or the process that sent it was dead).
    private var leftBy: [Int: Double] = [:]
    /// V2 rows in doubt waiting for a look-up in the Verification Attempts API (``attemptsClient`` set); the
    /// machine is told of every change, as the end of the job waits for them.
    private var inDoubtBatcher: InDoubtBatcher? {
        didSet {
            handle(
                .inDoubt(
                    unresolved: !(inDoubtBatcher?.isEmpty ?? true), waiting: inDoubtBatcher?.hasWaitingRows ?? false))
        }
    }
    /// Attempts found so far by each look-up under way, by number (look-ups are numbered as they start).
    private var lookupFindings: [Int: [String: [VerificationAttempt]]] = [:]
    private var lookupsStarted = 0
    /// When the batcher asked to be asked again, if a wake-up is scheduled.
    private var lookupWakeUp: Double?
    /// Rows whose request was held back at the lease's send deadline and has not left since.
    private var heldBack: Set<Int> = []
    /// The last answer of each unfinished row that got one, so a row that ends failed or in doubt after
    /// a status query (which has no answer of its own for the report) shows the answer that led there.
    private var lastResults: [Int: ProviderResult] = [:]
    /// Row writes for the next commit.
    private var pendingWrites: [RowWrite] = []
    private var requestsSinceCommit = 0
    private var retriesSinceCommit = 0
    private var firstSendAt: String?
    private var cachedStamp: (at: Double, text: String) = (0, "")
    private var lastCommitUptime: Double
    /// When the commit under way started (uptime seconds), `nil` when none is.
    private var commitStartedAt: Double?
    /// Whether a look at a slow commit is scheduled, and whether the commit under way was said to be slow.
    private var slowCommitLookScheduled = false
    private var slowCommitSaid = false
    /// API error codes already logged for this job (one line per error class).
    private var loggedErrorCodes: Set<String> = []
    private var completion: (@Sendable (Outcome) -> Void)?

    /// Creates a scheduler for one job.
    ///
    /// - Parameters:
    ///   - attemptsClient: for a provider without a status look-up by number (V2), where rows in doubt are
    ///     looked up (``AttemptEvidence``); `nil` otherwise.
    ///   - lease: the runner's lease from ``JobStoring/startRunning(lease:requestTimeout:)``: every request
    ///     carries its send deadline. When it is lost (``leaseLost()``), the run ends ``Outcome/leaseLost(_:unsent:)``.
    public init(
        jobID: String, store: any JobStoring, provider: any VerificationProvider, transport: any HTTPTransport,
        configuration: Configuration, retryPolicy: RetryPolicy = RetryPolicy(), logger: Logger,
        metrics: RunMetrics? = nil, attemptsClient: AttemptsClient? = nil, lease: RunnerLease? = nil
    ) {
        self.jobID = jobID
        self.attemptsClient = attemptsClient
        self.lease = lease
        if attemptsClient != nil {
            inDoubtBatcher = InDoubtBatcher(evidence: AttemptEvidence(margin: configuration.inDoubtMargin.seconds))
        }
        self.store = store
        self.provider = provider
        self.transport = transport
        self.configuration = configuration
        self.retryPolicy = retryPolicy
        var logger = logger
        logger[metadataKey: "job.id"] = "\(jobID)"
        self.logger = logger
        self.metrics = metrics
        self.queue = DispatchQueue(label: "verifyd.scheduler.\(jobID)")
        self.decisions = SchedulerMachine(
            settings: .init(
                concurrency: configuration.concurrency, rate: configuration.rate, loadBatch: configuration.loadBatch,
                sharedRate: store.isShared))
        self.lastCommitUptime = Self.uptime()
    }

    /// Starts sending; `completion` runs once, on the scheduler's queue, when the run ends.
    public func run(completion: @escaping @Sendable (Outcome) -> Void) {
        queue.async {
            self.completion = completion
            do {
                try self.recoverInFlightRows()
            } catch {
                self.end(.storeFailed("\(error)"))
                return
            }
            self.advance()
        }
    }

    /// Stops taking new rows; requests in flight finish and are recorded, then the run ends `stopped`.
    public func stop() {
        queue.async {
            self.handle(.stopRequested)
            self.advance()
        }
    }

    /// The lease was lost (``RunnerLease/lost``): the run ends at once, ``Outcome/leaseLost(_:unsent:)``.
    public func leaseLost() {
        queue.async {
            guard let loss = self.lease?.lost else { return }
            self.drop(after: loss)
        }
    }

    /// Ends the run after the lease was lost, writing nothing: the rows belong to whoever took them over, and a
    /// commit would be refused. Requests still in the air end unheard (their answers find no run).
    private func drop(after loss: LeaseLoss) {
        guard completion != nil else { return }
        let unsent = heldBack.union(decisions.markedNotSent).count
        end(.leaseLost(loss, unsent: unsent))
    }

    // MARK: Start-up

    /// Rows still marked in flight were in the air when the last process died: they are in doubt.
    private func recoverInFlightRows() throws {
        let rows = try store.rowsLeftInFlight(jobID: jobID)
        guard !rows.isEmpty else { return }
        logger.warning("rows found in flight after a restart", metadata: ["rows": "\(rows.count)"])
        // The process that sent them is dead (this one holds the spool's lock): nothing leaves after now.
        let now = Timestamp.nowSeconds()
        for row in rows {
            var machine = RowStateMachine(state: row.state, policy: policy)
            let action = machine.recoveredAfterCrash()
            adopt(row, machine: machine)
            leftBy[row.sequence] = now
            carryOut(action, sequence: row.sequence, result: nil)
        }
    }

    private var policy: RowStateMachine.Policy {
        RowStateMachine.Policy(
            maxAttempts: configuration.maxAttempts, inDoubt: configuration.inDoubt,
            sendLimitWait: configuration.sendLimitWait)
    }

    private func adopt(_ row: WorkRow, machine: RowStateMachine) {
        machines[row.sequence] = machine
        targets[row.sequence] = row.target
        if let sentAt = row.firstSentAt { firstSentAt[row.sequence] = sentAt }
        if let sentAt = row.lastSentAt ?? row.firstSentAt { lastSentAt[row.sequence] = sentAt }
    }

    /// Whether the row's first request left longer ago than `--retry-window`.
    private func retryWindowIsOver(_ sequence: Int) -> Bool { retryWindowLeft(sequence) <= .zero }

    /// How long the row may still be retried: `--retry-window` from its first request.
    private func retryWindowLeft(_ sequence: Int) -> Duration {
        guard let sentAt = firstSentAt[sequence] else { return configuration.retryWindow }
        return .seconds(sentAt + configuration.retryWindow.seconds - Timestamp.nowSeconds())
    }

    // MARK: Carrying out the machine's actions

    /// Tells the machine what happened.
    private func handle(_ event: SchedulerMachine.Event) { decisions.handle(event, now: Self.uptime()) }

    /// Asks the machine what to do now, and does it in its order.
    private func advance() {
        guard completion != nil else { return }
        for action in decisions.next(now: Self.uptime()) { perform(action) }
    }

    /// Carries out one of the machine's actions.
    private func perform(_ action: SchedulerMachine.Action) {
        guard completion != nil else { return }
        switch action {
        case .load(let after, let limit):
            store.rowsToSendAsync(jobID: jobID, after: after, limit: limit) { result in
                self.queue.async { self.loaded(result) }
            }
        case .start(let sequence, _):
            start(sequence, at: stamp())
        case .send(let sequence):
            transmit(sequence, request: targets[sequence].map(provider.request(for:)), isStatusQuestion: false)
        case .askStatus(let sequence):
            transmit(sequence, request: targets[sequence].flatMap(provider.statusRequest(for:)), isStatusQuestion: true)
        case .askForTokens(let size, let rate, let capacity):
            // On the store's queue: a slow store never blocks this one.
            store.takeRateTokensAsync(upTo: size, rate: rate, capacity: capacity) { result in
                self.queue.async {
                    switch result {
                    case .success(let grant):
                        self.handle(.tokensGranted(grant))
                        self.advance()
                    case .failure(let error):
                        self.end(.storeFailed("\(error)"))
                    }
                }
            }
        case .waitForToken(let seconds):
            metrics?.rateLimitWaited(seconds: seconds)
            queue.asyncAfter(deadline: .now() + seconds) {
                self.handle(.tokenWaitOver)
                self.advance()
            }
        case .scheduleCommit:
            // After the completions already queued, so that they share one transaction.
            queue.async {
                self.handle(.commitDue)
                self.advance()
            }
        case .commit(let marksStarts):
            commit(marksStarts: marksStarts)
        case .rateChanged(let change):
            log(change)
        case .handBack(let reserve, let statusQuestions):
            handBack(reserve: reserve, statusQuestions: statusQuestions)
        case .lookUpInDoubtRows:
            lookUpInDoubtRows()
        case .end(let ending):
            switch ending {
            case .finished: commitThen(.finished)
            case .paused(let reason): commitThen(.paused(reason: reason))
            case .stopped: commitThen(.stopped)
            }
        }
    }

    /// Takes in the rows a load returned (or ends the run on the store's error).
    private func loaded(_ result: Result<[WorkRow], any Error>) {
        guard completion != nil else { return }
        switch result {
        case .failure(let loss as LeaseLoss):
            drop(after: loss)
        case .failure(let error):
            end(.storeFailed("\(error)"))
        case .success(let rows):
            handle(.loaded(last: rows.last?.sequence, exhausted: rows.count < configuration.loadBatch))
            let now = Timestamp.nowSeconds()
            let takenInFlight = rows.count(where: \.wasInFlightForAnotherRunner)
            if takenInFlight > 0 {
                logger.notice(
                    """
                    took over rows another runner had in flight (it was found gone): they are in doubt, and asked \
                    about once --in-doubt-margin has passed
                    """,
                    metadata: [
                        "rows": "\(takenInFlight)", "in_doubt_margin": "\(Int(configuration.inDoubtMargin.seconds))s",
                    ])
            }
            for row in rows {
                adopt(row, machine: RowStateMachine(state: row.state, policy: policy))
                if case .inDoubt = row.state {
                    leftBy[row.sequence] = now
                    if row.wasInFlightForAnotherRunner, inDoubtBatcher == nil {
                        // A request the runner found gone wrote just before its send deadline may still be on its
                        // way: the status question waits for the margin. (A look-up in the Attempts API waits for it
                        // by itself: no listing before then proves a request absent.)
                        afterWaiting(configuration.inDoubtMargin) {
                            guard self.completion != nil, !self.decisions.isWindingDown else { return }
                            self.resolveInDoubt(row.sequence)
                        }
                    } else {
                        resolveInDoubt(row.sequence)
                    }
                } else if let notBefore = row.notBefore, notBefore > now {
                    scheduleRetry(row.sequence, after: .seconds(notBefore - now))
                } else {
                    handle(.rowReady(row.sequence, first: false))
                }
            }
            advance()
        }
    }

    private func resolveInDoubt(_ sequence: Int) {
        guard var machine = machines[sequence] else { return }
        let action = machine.resolveInDoubt()
        machines[sequence] = machine
        carryOut(action, sequence: sequence, result: nil)
    }

    /// Marks one ready row in flight, in the store at the next commit; the machine sends it after that commit.
    private func start(_ sequence: Int, at timestamp: String) {
        guard var machine = machines[sequence] else { return handle(.withdrawn(sequence)) }
        let action = machine.sendRequested()
        machines[sequence] = machine
        guard case .send(let attempt) = action else { return handle(.withdrawn(sequence)) }
        if attempt > 1 {
            retriesSinceCommit += 1
            metrics?.retried()
        }
        let now = Timestamp.nowSeconds()
        if firstSentAt[sequence] == nil { firstSentAt[sequence] = now }
        lastSentAt[sequence] = now
        leftBy[sequence] = nil
        write(RowWrite(sequence: sequence, state: machine.state, timestamp: timestamp, sentAt: now))
    }

    /// Queues a row write for the next commit.
    private func write(_ rowWrite: RowWrite) {
        pendingWrites.append(rowWrite)
        handle(.wrote)
    }

    /// Commits the writes queued so far on the store's queue; answers keep arriving meanwhile and join the
    /// next commit. The machine sends the starts whose in-flight marks were in it once it is durable.
    private func commit(marksStarts: Bool) {
        let now = Self.uptime()
        commitStartedAt = now
        slowCommitSaid = false
        lookAtSlowCommit(after: Self.slowCommit)
        if firstSendAt == nil, marksStarts { firstSendAt = Timestamp.now() }
        store.commitAsync(
            jobID: jobID, writes: pendingWrites, requests: requestsSinceCommit, retries: retriesSinceCommit,
            sendingSeconds: firstSendAt == nil ? 0 : now - lastCommitUptime, startedAt: firstSendAt
        ) { error in
            self.queue.async { self.committed(error: error) }
        }
        lastCommitUptime = now
        pendingWrites.removeAll(keepingCapacity: true)
        requestsSinceCommit = 0
        retriesSinceCommit = 0
    }

    private func committed(error: (any Error)?) {
        commitStartedAt = nil
        if let loss = error as? LeaseLoss { return drop(after: loss) }
        if let error {
            logger.error("store write failed", metadata: ["error": "\(error)"])
            end(.storeFailed("\(error)"))
            return
        }
        handle(.committed)
        advance()
    }

    /// How long a group commit may take before the operator is told: a healthy one takes milliseconds, and the
    /// starts it marks wait for it (on a shared store, so does the lease's renewal).
    private static let slowCommit = 1.0

    /// Looks, `delay` seconds from now, whether the commit under way has taken ``slowCommit`` or more, and says
    /// so once per commit; looks again, while commits are under way, when the one under way could next be slow.
    private func lookAtSlowCommit(after delay: Double) {
        guard !slowCommitLookScheduled else { return }
        slowCommitLookScheduled = true
        // Weak: a look still scheduled when the run ends must not keep the scheduler, its store and its transport
        // alive into the process's exit.
        queue.asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            slowCommitLookScheduled = false
            guard completion != nil, let started = commitStartedAt else { return }
            let waited = Self.uptime() - started
            guard waited >= Self.slowCommit else { return lookAtSlowCommit(after: Self.slowCommit - waited) }
            guard !slowCommitSaid else { return }
            slowCommitSaid = true
            logger.notice(
                "the store is slow: a group commit is not confirmed yet; the requests it marks wait for it",
                metadata: ["waited_ms": "\(Int(waited * 1000))", "store": "\(store.location)"])
        }
    }

    /// Hands one request to the transport; its answer comes back to ``received(_:sequence:)``. A row with no
    /// request to send is withdrawn.
    private func transmit(_ sequence: Int, request: HTTPRequest?, isStatusQuestion: Bool) {
        guard let target = targets[sequence], let request else { return handle(.withdrawn(sequence)) }
        let provider = self.provider
        let metrics = self.metrics
        metrics?.inFlightChanged(to: decisions.inFlight)
        let sentAt = ContinuousClock.now
        transport.send(
            request, timeout: configuration.timeout, deadline: lease?.sendDeadline, on: Self.answerQueue
        ) { outcome in
            if case .failure(let failure) = outcome, failure.wasHeldBackAtDeadline {
                return self.deliver(.heldBack(statusQuestion: isStatusQuestion), sequence: sequence)
            }
            // The answer (its JSON) is read here, beside the scheduler's queue: a burst of answers is
            // read on every core, and the serial queue only applies the results.
            let answer: Answer =
                isStatusQuestion
                ? .status(exists: provider.interpretStatus(outcome), httpStatus: try? outcome.get().status)
                : .result(provider.interpret(outcome, for: target))
            if let metrics {
                let label =
                    if case .result(let result) = answer { RunMetrics.outcome(of: result.verdict) } else {
                        "status_query"
                    }
                metrics.requestAnswered(
                    outcome: label, httpStatus: try? outcome.get().status, duration: ContinuousClock.now - sentAt)
            }
            self.deliver(answer, sequence: sequence)
        }
    }

    // MARK: Answers

    /// A request's answer as the provider read it.
    private enum Answer: Sendable {
        /// The answer to a start or a check.
        case result(ProviderResult)
        /// The answer to a status query: whether the verification exists (`nil`: unknown), and its HTTP status.
        case status(exists: Bool?, httpStatus: Int?)
        /// None: the request was held back at the lease's send deadline, unsent.
        case heldBack(statusQuestion: Bool)
    }

    /// Where answers are read before they reach the scheduler's queue.
    private static let answerQueue = DispatchQueue(label: "verifyd.answers", attributes: .concurrent)

    /// Answers read and not yet applied, taken by the scheduler's queue in one go: a burst of answers costs the
    /// queue one wakeup and one pump, not one each.
    private let inbox = Mutex<[(answer: Answer, sequence: Int)]>([])

    /// Hands an answer to the scheduler's queue (from any thread).
    private func deliver(_ answer: Answer, sequence: Int) {
        let isFirst = inbox.withLock { inbox in
            inbox.append((answer, sequence))
            return inbox.count == 1
        }
        guard isFirst else { return }
        queue.async {
            let answers = self.inbox.withLock { inbox in
                defer { inbox.removeAll(keepingCapacity: true) }
                return inbox
            }
            for (answer, sequence) in answers { self.received(answer, sequence: sequence) }
            self.metrics?.inFlightChanged(to: self.decisions.inFlight)
            self.advance()
        }
    }

    /// Applies one answer to its row; the caller pumps.
    private func received(_ answer: Answer, sequence: Int) {
        if case .heldBack(let statusQuestion) = answer { return putBack(sequence, statusQuestion: statusQuestion) }
        if !heldBack.isEmpty { heldBack.remove(sequence) }
        requestsSinceCommit += 1
        handle(.answered(Self.rateSignal(of: answer)))
        guard completion != nil, var machine = machines[sequence] else { return }
        let action: RowStateMachine.Action
        var result: ProviderResult?
        let windowLeft = retryWindowLeft(sequence)
        let windowIsOver = windowLeft <= .zero
        switch answer {
        case .heldBack:
            return
        case .status(let exists, _):
            action = machine.statusChecked(wasProcessed: exists, retryWindowIsOver: windowIsOver)
        case .result(var interpreted):
            if case .retryable(_, mayHaveBeenProcessed: true) = interpreted.verdict {
                // The transfer is over: the request cannot leave after now.
                leftBy[sequence] = Timestamp.nowSeconds()
            }
            action = machine.resultReceived(interpreted, retryWindowLeft: windowLeft)
            if windowIsOver, action == .finish(.failed) {
                interpreted.message =
                    "gave up: the retry window (\(Int(configuration.retryWindow.seconds)) s) is over; "
                    + "last answer: \(interpreted.message ?? "none")"
            }
            result = interpreted
            lastResults[sequence] = interpreted
        }
        machines[sequence] = machine
        carryOut(action, sequence: sequence, result: result)
    }

    /// A request held back at the lease's send deadline: it never left, so its row goes back as it was, first in
    /// line (a start is marked in flight again by the next commit, which also tells whether the lease holds).
    private func putBack(_ sequence: Int, statusQuestion: Bool) {
        handle(.withdrawn(sequence))
        guard completion != nil, var machine = machines[sequence] else { return }
        if heldBack.isEmpty {
            logger.info(
                """
                requests held back: the lease's send deadline passed before they left (the store was slow to \
                answer, or this process was paused); they go again once the store renews the lease
                """)
        }
        heldBack.insert(sequence)
        if statusQuestion { return handle(.statusQuestion(sequence)) }
        _ = machine.sendWithdrawn()
        machines[sequence] = machine
        if machine.state.attempts == 0 { firstSentAt[sequence] = nil }
        write(RowWrite(sequence: sequence, state: machine.state, timestamp: stamp()))
        handle(.rowReady(sequence, first: true))
    }

    /// Carries out a state machine's action for one row, as ``RowFollowUp`` decides.
    private func carryOut(_ action: RowStateMachine.Action, sequence: Int, result: ProviderResult?) {
        guard let machine = machines[sequence], let target = targets[sequence] else { return }
        let result = result ?? (action.endsUnresolved ? lastResults[sequence] : nil)
        let now = stamp()
        // Whether the provider has a status question is only asked of a row in doubt (it builds the request).
        let means = RowFollowUp.Means(
            kind: target.kind, hasStatusQuestion: action == .checkStatus && provider.statusRequest(for: target) != nil,
            hasAttemptsLookUp: inDoubtBatcher != nil, stopping: decisions.stopRequested)
        switch RowFollowUp.decide(action, means: means, retryPolicy: retryPolicy) {
        case .finish(let status):
            logFirstError(of: result, status: status, e164: target.e164)
            write(RowWrite(sequence: sequence, state: machine.state, result: result, timestamp: now))
            metrics?.rowFinished(status.rawValue)
            machines[sequence] = nil
            targets[sequence] = nil
            firstSentAt[sequence] = nil
            lastSentAt[sequence] = nil
            leftBy[sequence] = nil
            lastResults[sequence] = nil
        case .sendAgain(let wait):
            retry(sequence, state: machine.state, result: result, timestamp: now, after: wait)
        case .requeue:
            write(RowWrite(sequence: sequence, state: machine.state, result: result, timestamp: now))
            handle(.rowReady(sequence, first: true))
        case .leaveInDoubt:
            // Stopping takes no new request, not even a status query: the row is recorded in doubt and the
            // next run resolves it.
            write(RowWrite(sequence: sequence, state: machine.state, result: result, timestamp: now))
        case .checkAgain:
            // A check sends no code: checking again is safe. (If the lost check was the one that approved the
            // code, the second finds nothing pending and the row ends denied; see docs/in-doubt.md.)
            var machine = machine
            let next = machine.statusChecked(wasProcessed: false, retryWindowIsOver: retryWindowIsOver(sequence))
            machines[sequence] = machine
            carryOut(next, sequence: sequence, result: result)
        case .askStatus:
            handle(.statusQuestion(sequence))
        case .lookUp:
            let now = Timestamp.nowSeconds()
            let request = AttemptEvidence.Request(
                e164: target.e164, sentAt: lastSentAt[sequence] ?? firstSentAt[sequence] ?? now,
                leftBy: leftBy[sequence] ?? now)
            inDoubtBatcher?.add(sequence: sequence, request: request, now: now)
            lookUpInDoubtRows()
        case .cannotAsk:
            // No way to ask: the row stays in doubt rather than risk a second code.
            var machine = machine
            let next = machine.statusUnknowable()
            machines[sequence] = machine
            carryOut(next, sequence: sequence, result: result)
        case .askStatusLater(let wait):
            scheduleStatusCheck(sequence, after: wait)
        case .pauseJob:
            write(RowWrite(sequence: sequence, state: machine.state, timestamp: now))
            machines[sequence] = nil
            if self.decisions.pauseReason == nil {
                let code = result?.errorCode.map { " (error \($0))" } ?? ""
                let reason = "the API refused the job: \(result?.message ?? "no message")\(code)"
                handle(.paused(reason: reason))
                logger.error("job paused", metadata: ["reason": "\(reason)"])
            }
        case .nothing:
            break
        }
    }

    /// Logs the first row of the job that ends `status` with an API error code, once per code.
    private func logFirstError(of result: ProviderResult?, status: RowStatus, e164: String) {
        guard let code = result?.errorCode, status != .sent, loggedErrorCodes.insert(code).inserted else { return }
        let message = result?.message ?? ""
        logger.warning(
            "a row ended with an API error; later rows with the same code are not logged",
            metadata: [
                "error_code": "\(code)", "status": "\(status.rawValue)",
                "message": "\(configuration.logNumbers ? message : PhoneMask.maskedNumbers(in: message))",
                "number": "\(configuration.logNumbers ? e164 : PhoneMask.masked(e164))",
            ])
    }

    private func retry(
        _ sequence: Int, state: RowState, result: ProviderResult?, timestamp: String, after delay: Duration
    ) {
        let notBefore = Timestamp.nowSeconds() + delay.seconds
        write(RowWrite(sequence: sequence, state: state, result: result, notBefore: notBefore, timestamp: timestamp))
        scheduleRetry(sequence, after: delay)
    }

    /// What an answer says about the account's limits: only account- and service-wide refusals (a 429 that
    /// is not about one number, a 503) count against the rate. A status question's 429 is the account's (V1
    /// limits no number).
    private static func rateSignal(of answer: Answer) -> RateController.Answer {
        switch answer {
        case .result(let result):
            if case .rateLimited = result.verdict { return .throttled(concurrentRequests: result.concurrentRequests) }
            return result.httpStatus == 503 ? .throttled(concurrentRequests: nil) : .accepted
        case .status(_, let httpStatus):
            return httpStatus == 429 || httpStatus == 503 ? .throttled(concurrentRequests: nil) : .accepted
        case .heldBack:
            return .accepted
        }
    }

    /// Logs a change of the rate controller's.
    private func log(_ change: RateController.Change) {
        let rate = change.rate.map { "\(Int($0.rounded()))/s" } ?? "no limit"
        switch change.reason {
        case .limit(let share, let background, let admitted):
            logger.notice(
                "the API is limiting the account; slowing down",
                metadata: [
                    "rate": "\(rate)", "window": "\(change.window)", "share_429": "\(Self.percent(share))",
                    "background_429": "\(Self.percent(background))", "admitted": "\(Int(admitted.rounded()))/s",
                ])
        case .lifted:
            logger.notice("the API's limit has lifted; speeding up", metadata: ["rate": "\(rate)"])
        case .recovering:
            break
        }
    }

    /// A share as a percentage with one decimal, e.g. `2.5%`.
    private static func percent(_ share: Double) -> String { "\((share * 1000).rounded() / 10)%" }

    private func scheduleRetry(_ sequence: Int, after delay: Duration) {
        afterWaiting(delay) { self.handle(.rowReady(sequence, first: true)) }
    }

    /// Asks the in-doubt row's status question again after `delay`.
    private func scheduleStatusCheck(_ sequence: Int, after delay: Duration) {
        afterWaiting(delay) {
            guard self.completion != nil, !self.decisions.isWindingDown else { return }
            self.carryOut(.checkStatus, sequence: sequence, result: nil)
        }
    }

    /// Runs `body` on the scheduler's queue after `delay`, then advances; until then the machine counts a
    /// row waiting, so the job does not end.
    private func afterWaiting(_ delay: Duration, _ body: @escaping @Sendable () -> Void) {
        handle(.waitStarted)
        queue.asyncAfter(deadline: .now() + max(0, delay.seconds)) {
            self.handle(.waitEnded)
            body()
            self.advance()
        }
    }

    // MARK: In-doubt look-ups (V2)

    /// Asks the batcher whether to look rows in doubt up now, and starts the listings it hands out.
    private func lookUpInDoubtRows() {
        guard completion != nil, !decisions.isWindingDown, let attemptsClient, var batcher = inDoubtBatcher
        else { return }
        let now = Timestamp.nowSeconds()
        let store = self.store
        let decision = batcher.decide(now: now, jobIsIdle: decisions.isIdle) { range in
            // A listing pages through every attempt of the service in the range; this store's own answered
            // requests in it are the best estimate at hand.
            (try? store.answeredRequests(in: Int(range.lowerBound)...Int(range.upperBound))) ?? 0
        }
        inDoubtBatcher = batcher
        switch decision {
        case .idle:
            return
        case .wait(let until):
            guard lookupWakeUp.map({ until < $0 }) ?? true else { return }
            lookupWakeUp = until
            queue.asyncAfter(deadline: .now() + max(0, until - now)) {
                guard self.lookupWakeUp == until else { return }
                self.lookupWakeUp = nil
                self.lookUpInDoubtRows()
            }
        case .lookUp(let lookups):
            logger.info(
                "looking up rows in doubt in the Verification Attempts API",
                metadata: ["rows": "\(lookups.map(\.rows.count).reduce(0, +))", "listings": "\(lookups.count)"])
            for lookup in lookups { start(lookup, with: attemptsClient) }
        }
    }

    /// Starts one listing; its pages and its end come back on the scheduler's queue.
    private func start(_ lookup: InDoubtBatcher.Lookup, with client: AttemptsClient) {
        lookupsStarted += 1
        let id = lookupsStarted
        let numbers = Set(lookup.rows.map(\.request.e164))
        lookupFindings[id] = [:]
        client.list(
            lookup.query, on: queue,
            onPage: { page in
                for attempt in page where numbers.contains(attempt.to) {
                    self.lookupFindings[id]?[attempt.to, default: []].append(attempt)
                }
            },
            completion: { result in
                let findings = self.lookupFindings.removeValue(forKey: id) ?? [:]
                self.lookedUp(lookup, findings: findings, result: result)
            })
    }

    /// Applies a listing's verdicts to its rows.
    private func lookedUp(
        _ lookup: InDoubtBatcher.Lookup, findings: [String: [VerificationAttempt]],
        result: Result<AttemptsClient.Listing, AttemptsClient.Failure>
    ) {
        guard completion != nil, var batcher = inDoubtBatcher else { return }
        switch result {
        case .success(let listing):
            requestsSinceCommit += listing.requests
            let verdicts = batcher.answered(lookup, attempts: findings, listedAt: listing.listedAt)
            inDoubtBatcher = batcher
            for (sequence, verdict) in verdicts { apply(verdict, sequence: sequence) }
        case .failure(let failure):
            requestsSinceCommit += failure.requests
            let sequences = batcher.failed(lookup)
            inDoubtBatcher = batcher
            logger.warning(
                "the Verification Attempts API could not be asked; rows in doubt are asked about again later",
                metadata: ["rows": "\(sequences.count)", "error": "\(failure.description)"])
            for sequence in sequences {
                guard var machine = machines[sequence] else { continue }
                lastResults[sequence] = ProviderResult(
                    verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: true),
                    message: "in doubt: the Verification Attempts API could not be asked (\(failure.description))")
                let action = machine.statusChecked(wasProcessed: nil)
                machines[sequence] = machine
                carryOut(action, sequence: sequence, result: nil)
            }
        }
        lookUpInDoubtRows()
        advance()
    }

    /// Carries out what the Verification Attempts API proved about one row.
    private func apply(_ verdict: AttemptEvidence.Verdict, sequence: Int) {
        guard var machine = machines[sequence] else { return }
        let action: RowStateMachine.Action
        var result: ProviderResult?
        switch verdict {
        case .askAgain:
            return
        case .sent(let attempt):
            action = machine.statusChecked(wasProcessed: true)
            result = ProviderResult(
                verdict: .sent,
                message: "the answer was lost; the Verification Attempts API lists the code sent "
                    + "(attempt \(attempt.sid), \(Timestamp.iso8601WholeSeconds(attempt.createdAt)))",
                providerID: attempt.verificationSID)
        case .notSent:
            action = machine.statusChecked(wasProcessed: false, retryWindowIsOver: retryWindowIsOver(sequence))
        case .cannotTell:
            action = machine.statusUnknowable()
            result = ProviderResult(
                verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: true),
                message: "in doubt: the request is older than the Verification Attempts API keeps (30 days)")
        }
        machines[sequence] = machine
        carryOut(action, sequence: sequence, result: result)
    }

    // MARK: The end

    /// A run that ends early (stopped, paused) hands back the rows of the reserve, marked in flight but never
    /// sent, as they were before; rows waiting for a status question stay in doubt for the next run.
    private func handBack(reserve: [Int], statusQuestions: [Int]) {
        let now = stamp()
        for sequence in reserve {
            guard var machine = machines[sequence] else { continue }
            _ = machine.sendWithdrawn()
            machines[sequence] = machine
            write(RowWrite(sequence: sequence, state: machine.state, timestamp: now))
        }
        for sequence in statusQuestions {
            guard let machine = machines[sequence] else { continue }
            write(RowWrite(sequence: sequence, state: machine.state, timestamp: now))
        }
    }

    private func commitThen(_ outcome: Outcome) {
        do {
            if !pendingWrites.isEmpty || requestsSinceCommit > 0 {
                try store.commit(
                    jobID: jobID, writes: pendingWrites, requests: requestsSinceCommit, retries: retriesSinceCommit,
                    sendingSeconds: Self.uptime() - lastCommitUptime, startedAt: firstSendAt)
                pendingWrites.removeAll()
                requestsSinceCommit = 0
                retriesSinceCommit = 0
            }
            if case .paused(let reason) = outcome { try store.pauseJob(id: jobID, reason: reason) }
            end(outcome)
        } catch let loss as LeaseLoss {
            drop(after: loss)
        } catch {
            end(.storeFailed("\(error)"))
        }
    }

    private func end(_ outcome: Outcome) {
        guard let completion else { return }
        self.completion = nil
        completion(outcome)
    }

    private static func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The wall-clock time stamp for row writes, formatted at most once per millisecond.
    private func stamp() -> String {
        let now = Timestamp.nowSeconds()
        if now - cachedStamp.at >= 0.001 { cachedStamp = (now, Timestamp.iso8601(now)) }
        return cachedStamp.text
    }
}

extension RowStateMachine.Action {
    /// Whether the action ends the row `failed` or `in_doubt`: its report shows the last answer.
    fileprivate var endsUnresolved: Bool { self == .finish(.failed) || self == .finish(.inDoubt) }
}
