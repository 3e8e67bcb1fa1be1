import Dispatch
import Synchronization
public import Logging

/// Sends one job's rows: carries out what its ``SchedulerMachine`` decides (the concurrency window, the
/// token bucket, rate control, the group commit, the end of the run) and what each row's
/// ``RowStateMachine`` decides (retries, in-doubt questions), and does the I/O: the store, the transport,
/// timers, logs and metrics. Rows in doubt that the provider looks up its own way go to its
/// ``InDoubtLookUp``. Time comes from an injected ``RunClock``.
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
        /// `--in-doubt-margin`: how long after a request can no longer leave the API surely shows it (a status
        /// question about a request nothing answered waits this long; a provider's look-up is given it).
        public var inDoubtMargin: Duration
        /// `--code-lifetime`: how long a number refused for too many sends (V2 60203) waits.
        public var sendLimitWait: Duration
        /// `--send-window`: the recipients' local hours in which a start may leave; `nil` for any hour.
        public var sendWindow: SendWindow?
        /// Seconds added to the time `--send-window` is judged at; 0 except in tests
        /// (`VERIFYD_SEND_WINDOW_CLOCK_OFFSET`).
        public var sendWindowClockOffset: Double

        /// Creates a configuration with the command line's defaults.
        public init(
            concurrency: Int = 32, rate: Double = 50, maxAttempts: Int = 5, inDoubt: InDoubtPolicy = .check,
            timeout: Duration = .seconds(15), loadBatch: Int = 2000, retryWindow: Duration = .seconds(600),
            logNumbers: Bool = false, inDoubtMargin: Duration = .seconds(60), sendLimitWait: Duration = .seconds(600),
            sendWindow: SendWindow? = nil, sendWindowClockOffset: Double = 0
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
            self.sendWindow = sendWindow
            self.sendWindowClockOffset = sendWindowClockOffset
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
        /// Every other row is done; `rows` wait for `--send-window`, untouched in the store, the first of them until
        /// `opensAt` (seconds since 1970). A later run sends them.
        case waitingForWindow(rows: Int, opensAt: Double)
    }

    private let jobID: String
    private let store: any RowSendingStore
    private let provider: any VerificationProvider
    private let transport: any HTTPTransport
    private let configuration: Configuration
    private let retryPolicy: RetryPolicy
    private let logger: Logger
    private let metrics: RunMetrics?
    private let queue: DispatchQueue
    private let clock: any RunClock
    /// The provider's own look-up of rows in doubt (V2's lists the Verification Attempts API), if it has one.
    private let inDoubtLookUp: (any InDoubtLookUp)?
    /// The runner's lease on the rows: the deadline its requests carry, and whether it was lost.
    private let lease: RunnerLease?
    /// Whether the job was canceled: nothing is sent, rows in doubt are still asked about.
    private let canceling: Bool
    /// The rules of every row's machine.
    private let rowPolicy: RowStateMachine.Policy
    /// `--send-window`'s verdicts on starts, if there is a window.
    private var windowGate: SendWindowGate?

    /// The scheduler's decisions: window, tokens, rate, commits, loads, the end of the run.
    private var decisions: SchedulerMachine
    /// Each loaded, unfinished row.
    private var rows: [Int: LoadedRow] = [:]
    /// When the look-up asked to be asked again, if a wake-up is scheduled.
    private var lookUpWakeUp: Double?
    /// Rows whose request was held back at the lease's send deadline and has not left since.
    private var heldBack: Set<Int> = []
    /// What the next group commit carries.
    private var pending: PendingCommit
    /// Says when a group commit is slow.
    private let slowCommitWatch: SlowCommitWatch
    private var cachedStamp: (at: Double, text: String) = (0, "")
    /// API error codes already logged for this job (one line per error class).
    private var loggedErrorCodes: Set<String> = []
    private var completion: (@Sendable (Outcome) -> Void)?

    /// Creates a scheduler for one job.
    ///
    /// - Parameters:
    ///   - inDoubtLookUp: for a provider that looks rows in doubt up its own way (V2, ``AttemptsLookUp``); `nil`
    ///     otherwise. A provider that says it looks rows up but has none here leaves them in doubt.
    ///   - lease: the runner's lease from ``RunnerRegistry/startRunning(lease:requestTimeout:)``: every request
    ///     carries its send deadline. When it is lost (``leaseLost()``), the run ends ``Outcome/leaseLost(_:unsent:)``.
    ///   - clock: where time and timers come from.
    ///   - canceling: the job was canceled by an operator: no row is sent; a row in doubt is still asked about
    ///     (a question sends no code) and ends as the answer says, and any row that would be sent ends `canceled`.
    public init(
        jobID: String, store: any RowSendingStore, provider: any VerificationProvider, transport: any HTTPTransport,
        configuration: Configuration, retryPolicy: RetryPolicy = RetryPolicy(), logger: Logger,
        metrics: RunMetrics? = nil, inDoubtLookUp: (any InDoubtLookUp)? = nil, lease: RunnerLease? = nil,
        clock: any RunClock = SystemClock(), canceling: Bool = false
    ) {
        self.jobID = jobID
        self.canceling = canceling
        self.windowGate = configuration.sendWindow.map {
            SendWindowGate(window: $0, clockOffset: configuration.sendWindowClockOffset)
        }
        self.inDoubtLookUp = inDoubtLookUp
        self.lease = lease
        self.clock = clock
        var question = provider.inDoubtQuestion
        if question == .lookUp, inDoubtLookUp == nil { question = .unaskable }
        self.rowPolicy = RowStateMachine.Policy(
            maxAttempts: configuration.maxAttempts, inDoubt: configuration.inDoubt, inDoubtQuestion: question,
            sendLimitWait: configuration.sendLimitWait)
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
        self.pending = PendingCommit(now: clock.uptime())
        self.slowCommitWatch = SlowCommitWatch(
            clock: clock, queue: queue, logger: self.logger, storeLocation: store.location)
    }

    /// Starts sending; `completion` runs once, on the scheduler's queue, when the run ends.
    public func run(completion: @escaping @Sendable (Outcome) -> Void) {
        queue.async {
            self.completion = completion
            self.inDoubtLookUp?.begin(on: self.queue) { report in self.lookedUp(report) }
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
        let found = try store.rowsLeftInFlight(jobID: jobID)
        guard !found.isEmpty else { return }
        logger.warning("rows found in flight after a restart", metadata: ["rows": "\(found.count)"])
        // The process that sent them is dead (this one holds the spool's lock): nothing leaves after now.
        let now = clock.now()
        for row in found {
            adopt(row, leftBy: now)
            let moment = moment(of: row.sequence)
            carryOut(rows[row.sequence]?.machine.recoveredAfterCrash(at: moment), sequence: row.sequence)
        }
    }

    /// Takes a loaded row in.
    private func adopt(_ row: WorkRow, leftBy: Double? = nil) {
        rows[row.sequence] = LoadedRow(
            machine: RowStateMachine(state: row.state, kind: row.target.kind, policy: rowPolicy), target: row.target,
            timeZone: row.timeZone,
            firstSentAt: row.firstSentAt, lastSentAt: row.lastSentAt ?? row.firstSentAt, leftBy: leftBy,
            askableAt: leftBy.map { $0 + configuration.inDoubtMargin.seconds })
    }

    /// What a row's machine must know of now: its retry window (`--retry-window` from its first request) and
    /// whether the run is stopping.
    private func moment(of sequence: Int) -> RowStateMachine.Moment {
        let windowLeft: Duration =
            if let sentAt = rows[sequence]?.firstSentAt {
                .seconds(sentAt + configuration.retryWindow.seconds - clock.now())
            } else {
                configuration.retryWindow
            }
        return RowStateMachine.Moment(retryWindowLeft: windowLeft, stopping: decisions.stopRequested)
    }

    // MARK: Carrying out the machine's actions

    /// Tells the machine what happened.
    private func handle(_ event: SchedulerMachine.Event) { decisions.handle(event, now: clock.uptime()) }

    /// Asks the machine what to do now, and does it in its order.
    private func advance() {
        guard completion != nil else { return }
        for action in decisions.next(now: clock.uptime()) { perform(action) }
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
            transmit(
                sequence, request: rows[sequence].map { provider.request(for: $0.target) }, isStatusQuestion: false)
        case .askStatus(let sequence):
            transmit(
                sequence, request: rows[sequence].flatMap { provider.statusRequest(for: $0.target) },
                isStatusQuestion: true)
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
            clock.schedule(after: seconds, on: queue) {
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
            lookUpDue()
        case .wakeAtWindow(let opensAt):
            // Weak: a run that ended meanwhile (its rows waiting for a later run) must not be kept, with its rows,
            // until a window that may be hours away.
            clock.schedule(after: opensAt - clock.now(), on: queue) { [weak self] in
                guard let self, completion != nil else { return }
                handle(.windowOpened(now: clock.now()))
                advance()
            }
        case .end(let ending):
            switch ending {
            case .finished: commitThen(.finished)
            case .paused(let reason): commitThen(.paused(reason: reason))
            case .stopped: commitThen(.stopped)
            case .waitingForWindow(let rows, let opensAt): commitThen(.waitingForWindow(rows: rows, opensAt: opensAt))
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
        case .success(let loaded):
            handle(.loaded(last: loaded.last?.sequence, exhausted: loaded.count < configuration.loadBatch))
            let now = clock.now()
            let takenInFlight = loaded.count(where: \.wasInFlightForAnotherRunner)
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
            for row in loaded {
                let isInDoubt = if case .inDoubt = row.state { true } else { false }
                // A row in doubt: its request may still be on its way (a runner found gone may have written it just
                // before its send deadline), so a status question waits for the margin (``LoadedRow/askableAt``); a
                // provider's own look-up is given the margin and waits for it by itself.
                adopt(row, leftBy: isInDoubt ? now : nil)
                if canceling, !isInDoubt {
                    carryOut(rows[row.sequence]?.machine.cancel(), sequence: row.sequence)
                } else if isInDoubt {
                    resolveInDoubt(row.sequence)
                } else if let notBefore = row.notBefore, notBefore > now {
                    scheduleRetry(row.sequence, after: .seconds(notBefore - now))
                } else {
                    release(row.sequence, first: false)
                }
            }
            advance()
        }
    }

    /// A row is ready for its next request, if `--send-window` lets a start leave now: else it waits for its
    /// window, or, when it never opens for the recipient's zones, ends `skipped`. A check is not held back.
    private func release(_ sequence: Int, first: Bool) {
        guard let row = rows[sequence], row.target.kind == .start,
            let verdict = windowGate?.verdict(timeZoneColumn: row.timeZone, e164: row.target.e164, at: clock.now())
        else { return handle(.rowReady(sequence, first: first)) }
        switch verdict {
        case .open:
            handle(.rowReady(sequence, first: first))
        case .opensAt(let instant):
            handle(.waitsForWindow(sequence, opensAt: instant))
        case .never(let message):
            // The write keeps the result's message; its verdict plays no part (no request was made).
            carryOut(
                rows[sequence]?.machine.skip(), sequence: sequence,
                result: ProviderResult(verdict: .failedPermanently, message: message))
        }
    }

    private func resolveInDoubt(_ sequence: Int) {
        let moment = moment(of: sequence)
        carryOut(rows[sequence]?.machine.resolveInDoubt(at: moment), sequence: sequence)
    }

    /// Marks one ready row in flight, in the store at the next commit; the machine sends it after that commit.
    private func start(_ sequence: Int, at timestamp: String) {
        guard case .send(let attempt)? = rows[sequence]?.machine.sendRequested(), var row = rows[sequence] else {
            return handle(.withdrawn(sequence))
        }
        if attempt > 1 {
            pending.retries += 1
            metrics?.retried()
        }
        let now = clock.now()
        row.firstSentAt = row.firstSentAt ?? now
        row.lastSentAt = now
        row.leftBy = nil
        row.askableAt = nil
        rows[sequence] = row
        write(RowWrite(sequence: sequence, state: row.machine.state, timestamp: timestamp, sentAt: now))
    }

    /// Queues a row write for the next commit.
    private func write(_ rowWrite: RowWrite) {
        pending.add(rowWrite)
        handle(.wrote)
    }

    /// Commits the writes queued so far on the store's queue; answers keep arriving meanwhile and join the
    /// next commit. The machine sends the starts whose in-flight marks were in it once it is durable.
    private func commit(marksStarts: Bool) {
        let now = clock.uptime()
        slowCommitWatch.started()
        let batch = pending.take(at: now, marksStarts: marksStarts, stamp: Timestamp.iso8601(clock.now()))
        send(batch) { error in self.committed(error: error) }
    }

    /// Hands a batch to the store's queue; `completion` runs on the scheduler's queue.
    private func send(_ batch: PendingCommit.Batch, completion: @escaping @Sendable ((any Error)?) -> Void) {
        store.commitAsync(
            jobID: jobID, writes: batch.writes, requests: batch.requests, retries: batch.retries,
            sendingSeconds: batch.sendingSeconds, startedAt: batch.startedAt
        ) { error in
            self.queue.async { completion(error) }
        }
    }

    private func committed(error: (any Error)?) {
        slowCommitWatch.ended()
        if let loss = error as? LeaseLoss { return drop(after: loss) }
        if let error {
            logger.error("store write failed", metadata: ["error": "\(error)"])
            end(.storeFailed("\(error)"))
            return
        }
        handle(.committed)
        advance()
    }

    /// Hands one request to the transport; its answer comes back to ``received(_:sequence:)``. A row with no
    /// request to send is withdrawn.
    private func transmit(_ sequence: Int, request: HTTPRequest?, isStatusQuestion: Bool) {
        guard let target = rows[sequence]?.target, let request else { return handle(.withdrawn(sequence)) }
        let provider = self.provider
        let metrics = self.metrics
        let clock = self.clock
        metrics?.inFlightChanged(to: decisions.inFlight)
        let sentAt = clock.uptime()
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
                    outcome: label, httpStatus: try? outcome.get().status, duration: .seconds(clock.uptime() - sentAt))
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
        pending.requests += 1
        handle(.answered(Self.rateSignal(of: answer)))
        guard completion != nil, var row = rows[sequence] else { return }
        let moment = moment(of: sequence)
        let action: RowStateMachine.Action
        var result: ProviderResult?
        switch answer {
        case .heldBack:
            return
        case .status(let exists, _):
            action = row.machine.statusChecked(wasProcessed: exists, at: moment)
        case .result(var interpreted):
            if case .retryable(_, mayHaveBeenProcessed: true) = interpreted.verdict {
                // The transfer is over: the request cannot leave after now. Unanswered, it may still be on its way.
                let now = clock.now()
                row.leftBy = now
                row.askableAt = interpreted.httpStatus == nil ? now + configuration.inDoubtMargin.seconds : now
            }
            action = row.machine.resultReceived(interpreted, at: moment)
            if moment.retryWindowIsOver, action == .finish(.failed) {
                interpreted.message =
                    "gave up: the retry window (\(Int(configuration.retryWindow.seconds)) s) is over; "
                    + "last answer: \(interpreted.message ?? "none")"
            }
            result = interpreted
            row.lastResult = interpreted
        }
        rows[sequence] = row
        carryOut(action, sequence: sequence, result: result)
    }

    /// A request held back at the lease's send deadline: it never left, so its row goes back as it was, first in
    /// line (a start is marked in flight again by the next commit, which also tells whether the lease holds).
    private func putBack(_ sequence: Int, statusQuestion: Bool) {
        handle(.withdrawn(sequence))
        guard completion != nil, var row = rows[sequence] else { return }
        if heldBack.isEmpty {
            logger.info(
                """
                requests held back: the lease's send deadline passed before they left (the store was slow to \
                answer, or this process was paused); they go again once the store renews the lease
                """)
        }
        heldBack.insert(sequence)
        if statusQuestion { return handle(.statusQuestion(sequence)) }
        _ = row.machine.sendWithdrawn()
        if row.machine.state.attempts == 0 { row.firstSentAt = nil }
        rows[sequence] = row
        write(RowWrite(sequence: sequence, state: row.machine.state, timestamp: stamp()))
        release(sequence, first: true)
    }

    /// Carries out what a row's machine decided. `result` is the answer that led there, if any; a row that ends
    /// failed or in doubt without one shows its last answer.
    private func carryOut(_ action: RowStateMachine.Action?, sequence: Int, result: ProviderResult? = nil) {
        guard var action else { return }
        // A canceled job sends nothing more: a row that would be sent (again) ends `canceled` instead.
        if canceling, action.sendsAgain, let canceled = rows[sequence]?.machine.cancel() { action = canceled }
        guard let row = rows[sequence] else { return }
        let result = result ?? (action.endsUnresolved ? row.lastResult : nil)
        let now = stamp()
        switch action {
        case .finish(let status):
            logFirstError(of: result, status: status, e164: row.target.e164)
            write(RowWrite(sequence: sequence, state: row.machine.state, result: result, timestamp: now))
            metrics?.rowFinished(status.rawValue)
            rows[sequence] = nil
        case .sendAgain(let wait):
            retry(
                sequence, state: row.machine.state, result: result, timestamp: now,
                after: wait.duration(with: retryPolicy))
        case .requeue:
            write(RowWrite(sequence: sequence, state: row.machine.state, result: result, timestamp: now))
            release(sequence, first: true)
        case .leaveInDoubt:
            // Stopping takes no new request, not even a status query: the row is recorded in doubt and the
            // next run resolves it.
            write(RowWrite(sequence: sequence, state: row.machine.state, result: result, timestamp: now))
        case .askStatus:
            askStatus(sequence, after: (row.askableAt ?? 0) - clock.now())
        case .lookUp:
            let now = clock.now()
            inDoubtLookUp?.add(
                sequence: sequence, e164: row.target.e164, sentAt: row.lastSentAt ?? now, leftBy: row.leftBy ?? now,
                now: now)
            lookUpDue()
        case .askStatusLater(let wait):
            scheduleStatusCheck(sequence, after: wait.duration(with: retryPolicy))
        case .pauseJob:
            write(RowWrite(sequence: sequence, state: row.machine.state, timestamp: now))
            rows[sequence] = nil
            if self.decisions.pauseReason == nil {
                let code = result?.errorCode.map { " (error \($0))" } ?? ""
                let reason = "the API refused the job: \(result?.message ?? "no message")\(code)"
                handle(.paused(reason: reason))
                logger.error("job paused", metadata: ["reason": "\(reason)"])
            }
        case .send, .none:
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
        let notBefore = clock.now() + delay.seconds
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
        afterWaiting(delay) { self.release(sequence, first: true) }
    }

    /// Queues the row's status question once `delay` seconds have passed (at once for none): only then does an
    /// answer of "no verification" prove that its request will not arrive.
    private func askStatus(_ sequence: Int, after delay: Double) {
        guard delay > 0 else { return handle(.statusQuestion(sequence)) }
        afterWaiting(.seconds(delay)) {
            guard self.completion != nil, !self.decisions.isWindingDown, self.rows[sequence] != nil else { return }
            self.handle(.statusQuestion(sequence))
        }
    }

    /// Asks about the in-doubt row again after `delay`.
    private func scheduleStatusCheck(_ sequence: Int, after delay: Duration) {
        afterWaiting(delay) {
            guard self.completion != nil, !self.decisions.isWindingDown else { return }
            let moment = self.moment(of: sequence)
            self.carryOut(self.rows[sequence]?.machine.askAgain(at: moment), sequence: sequence)
        }
    }

    /// Runs `body` on the scheduler's queue after `delay`, then advances; until then the machine counts a
    /// row waiting, so the job does not end.
    private func afterWaiting(_ delay: Duration, _ body: @escaping @Sendable () -> Void) {
        handle(.waitStarted)
        clock.schedule(after: delay.seconds, on: queue) {
            self.handle(.waitEnded)
            body()
            self.advance()
        }
    }

    // MARK: In-doubt look-ups

    /// Has the look-up start what is due, and schedules a wake-up for when it asks to be asked again.
    private func lookUpDue() {
        guard completion != nil, !decisions.isWindingDown, let inDoubtLookUp else { return }
        let now = clock.now()
        let wakeUp = inDoubtLookUp.lookUpDue(now: now, jobIsIdle: decisions.isIdle)
        lookUpChanged()
        guard let wakeUp, lookUpWakeUp.map({ wakeUp < $0 }) ?? true else { return }
        lookUpWakeUp = wakeUp
        clock.schedule(after: wakeUp - now, on: queue) {
            guard self.lookUpWakeUp == wakeUp else { return }
            self.lookUpWakeUp = nil
            self.lookUpDue()
            self.advance()
        }
    }

    /// Tells the machine whether the look-up holds rows: the end of the job waits for them.
    private func lookUpChanged() {
        guard let inDoubtLookUp else { return }
        handle(.inDoubt(unresolved: inDoubtLookUp.holdsRows, waiting: inDoubtLookUp.hasWaitingRows))
    }

    /// Applies what the look-up found to its rows.
    private func lookedUp(_ report: InDoubtLookUpReport) {
        guard completion != nil else { return }
        pending.requests += report.requests
        lookUpChanged()
        for (sequence, finding) in report.findings {
            guard var row = rows[sequence] else { continue }
            let moment = moment(of: sequence)
            let action: RowStateMachine.Action
            var result: ProviderResult?
            switch finding {
            case .processed(let processed):
                action = row.machine.statusChecked(wasProcessed: true, at: moment)
                result = processed
            case .notProcessed:
                action = row.machine.statusChecked(wasProcessed: false, at: moment)
            case .cannotTell(let unknowable):
                action = row.machine.statusUnknowable()
                result = unknowable
            case .unanswered(let unanswered):
                row.lastResult = unanswered
                action = row.machine.statusChecked(wasProcessed: nil, at: moment)
            }
            rows[sequence] = row
            carryOut(action, sequence: sequence, result: result)
        }
        lookUpDue()
        advance()
    }

    // MARK: The end

    /// A run that ends early (stopped, paused) hands back the rows of the reserve, marked in flight but never
    /// sent, as they were before; rows waiting for a status question stay in doubt for the next run.
    private func handBack(reserve: [Int], statusQuestions: [Int]) {
        let now = stamp()
        for sequence in reserve {
            guard var row = rows[sequence] else { continue }
            _ = row.machine.sendWithdrawn()
            rows[sequence] = row
            write(RowWrite(sequence: sequence, state: row.machine.state, timestamp: now))
        }
        for sequence in statusQuestions {
            guard let row = rows[sequence] else { continue }
            write(RowWrite(sequence: sequence, state: row.machine.state, timestamp: now))
        }
    }

    /// Commits what is left, on the store's queue like every group commit, then ends the run with `outcome`.
    private func commitThen(_ outcome: Outcome) {
        guard !pending.isEmpty else { return recordEnd(outcome) }
        send(pending.take(at: clock.uptime(), marksStarts: false, stamp: "")) { error in
            switch error {
            case let loss as LeaseLoss: self.drop(after: loss)
            case let error?: self.end(.storeFailed("\(error)"))
            case nil: self.recordEnd(outcome)
            }
        }
    }

    /// Ends the run with `outcome`; a paused job is recorded paused first.
    private func recordEnd(_ outcome: Outcome) {
        do {
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
        slowCommitWatch.ended()
        completion(outcome)
    }

    /// The wall-clock time stamp for row writes, formatted at most once per millisecond.
    private func stamp() -> String {
        let now = clock.now()
        if now - cachedStamp.at >= 0.001 { cachedStamp = (now, Timestamp.iso8601(now)) }
        return cachedStamp.text
    }
}

extension RowStateMachine.Action {
    /// Whether the action sends the row's request (again).
    fileprivate var sendsAgain: Bool {
        switch self {
        case .send, .sendAgain, .requeue: true
        default: false
        }
    }

    /// Whether the action ends the row `failed` or `in_doubt`: its report shows the last answer.
    fileprivate var endsUnresolved: Bool { self == .finish(.failed) || self == .finish(.inDoubt) }
}
