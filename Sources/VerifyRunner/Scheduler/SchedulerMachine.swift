/// The scheduler's decisions for one job, as a pure state machine: the concurrency window, the token bucket
/// (this runner's own, or the tokens a shared store granted), rate control, the group commit, loading, the
/// reserve of starts marked ahead, pause, stop and the end of the job.
///
/// It knows rows only by their sequence numbers. ``JobScheduler`` tells it what happened (``handle(_:now:)``:
/// rows loaded, an answer back, a commit durable, a stop asked) and asks it what to do now
/// (``next(now:)``); it carries the actions out in their order, and keeps each row's own state
/// (``RowStateMachine``), the writes and the I/O. `now` is seconds on a monotonic clock: the machine never
/// reads a clock. Table-tested in `SchedulerMachineTests`.
struct SchedulerMachine {
    /// What the machine is told of the run.
    struct Settings: Equatable {
        /// Requests in flight at most (`--concurrency`).
        var concurrency: Int
        /// Requests per second at most, 0 = unlimited (`--rate`).
        var rate: Double
        /// Rows loaded from the store at a time.
        var loadBatch: Int
        /// Whether the rate is a shared store's, drawn from its bucket by grants (several runners).
        var sharedRate: Bool
    }

    /// Something that happened.
    enum Event: Equatable {
        /// The store answered a load: every row of it was handed over (``rowReady(_:first:)`` and the like);
        /// `exhausted` when it returned less than asked, so no row is left to load.
        case loaded(last: Int?, exhausted: Bool)
        /// A row is ready for its next request: at the end of the line, or `first` (a retry whose wait is
        /// over, a row put back).
        case rowReady(Int, first: Bool)
        /// A row in doubt waits to ask the provider's status question.
        case statusQuestion(Int)
        /// A row's start waits for `--send-window` to open for its recipient, at `opensAt` (seconds since 1970):
        /// not ready, not in flight, no attempt.
        case waitsForWindow(Int, opensAt: Double)
        /// It is `now` (seconds since 1970): the rows whose window has opened by then are ready.
        case windowOpened(now: Double)
        /// A row the machine asked to start or send could not be (its state allows no request, it has no
        /// request to send): it holds no place, in the next commit or in the air.
        case withdrawn(Int)
        /// A row write was queued for the next commit.
        case wrote
        /// A row waits (for a retry, for a status question later): the job does not end meanwhile.
        case waitStarted
        /// A row's wait is over.
        case waitEnded
        /// A request came back: what its answer says of the account's limits.
        case answered(RateController.Answer)
        /// The time the group commit was scheduled for has come.
        case commitDue
        /// The commit under way is durable.
        case committed
        /// The wait for a token is over.
        case tokenWaitOver
        /// The shared bucket's answer to ``Action/askForTokens(upTo:rate:capacity:)``.
        case tokensGranted(RateGrant)
        /// What the rows in doubt of a V2 job look like (``InDoubtBatcher``): still to be looked up at all,
        /// and waiting for a look-up to start.
        case inDoubt(unresolved: Bool, waiting: Bool)
        /// The API refused the job as a whole.
        case paused(reason: String)
        /// A stop was requested.
        case stopRequested
    }

    /// What to do, in order.
    enum Action: Equatable {
        /// Ask the store for up to `limit` rows after `after`; ``Event/loaded(last:exhausted:)`` follows.
        case load(after: Int, limit: Int)
        /// Mark the row in flight (a write for the next commit): it leaves after that commit, or joins the
        /// reserve.
        case start(Int, intoReserve: Bool)
        /// Send the row's start: its in-flight mark is durable.
        case send(Int)
        /// Send the row's status question (it needs no in-flight mark).
        case askStatus(Int)
        /// Ask the shared bucket for tokens; ``Event/tokensGranted(_:)`` follows, and until it does the window is
        /// not planned again.
        case askForTokens(upTo: Int, rate: Double, capacity: Int)
        /// Come back after `seconds` (``Event/tokenWaitOver``): a token is what is missing.
        case waitForToken(seconds: Double)
        /// Schedule the group commit after what is already queued (``Event/commitDue``).
        case scheduleCommit
        /// Commit the writes queued so far; `marksStarts` when in-flight marks are among them.
        /// ``Event/committed`` follows.
        case commit(marksStarts: Bool)
        /// The rate or the window moved (to log).
        case rateChanged(RateController.Change)
        /// Hand back rows marked in flight but never sent, and rows whose status question never left.
        case handBack(reserve: [Int], statusQuestions: [Int])
        /// Only rows in doubt are left: look them up now.
        case lookUpInDoubtRows
        /// Come back at `opensAt` (seconds since 1970) with ``Event/windowOpened(now:)``: the first instant a
        /// waiting row's window opens.
        case wakeAtWindow(opensAt: Double)
        /// Commit what is left and end the run.
        case end(Ending)
    }

    /// How the run ends.
    enum Ending: Equatable {
        /// Every row has a final status.
        case finished
        /// The API refused the job as a whole.
        case paused(reason: String)
        /// A stop was requested.
        case stopped
        /// Every other row is done; `rows` wait for their window, the first of which opens at `opensAt`.
        case waitingForWindow(rows: Int, opensAt: Double)
    }

    let settings: Settings
    private var bucket: TokenBucket
    /// On a shared store with a rate: the tokens granted and not spent.
    private var granted: GrantedTokens?
    private var rateController: RateController
    /// Rate changes not yet announced.
    private var rateChanges: [RateController.Change] = []

    private var ready: [Int] = []
    private var readyHead = 0
    private var lastLoaded = -1
    private var storeExhausted = false
    private var loading = false

    /// Requests in the air.
    private(set) var inFlight = 0
    private var waiting = 0
    private var statusQuestions: [Int] = []
    /// Starts whose in-flight mark is durable, waiting for a place in the window.
    private var reserve: [Int] = []
    /// Starts whose mark waits for the next commit, to leave right after it.
    private var pendingSends: [Int] = []
    /// Starts whose mark waits for the next commit, to join the reserve.
    private var pendingReserve: [Int] = []
    /// Starts in the commit under way, to leave once it is durable.
    private var sendsBeingCommitted: [Int] = []
    /// Starts in the commit under way, to join the reserve.
    private var reserveBeingCommitted: [Int] = []
    /// Starts whose commit is durable, to send at the next ``next(now:)``.
    private var durableSends: [Int] = []
    private var unsavedWrites = false
    private var commitScheduled = false
    private var commitDue = false
    private var committing = false
    private var tokenWaitScheduled = false
    /// An ask for the shared bucket's tokens is under way.
    private var tokensAsked = false
    private var inDoubtUnresolved = false
    private var inDoubtWaiting = false
    /// Rows waiting for their window, by the instant it opens (seconds since 1970).
    private var windowWaits: [Double: [Int]] = [:]
    /// The opening a wake-up was asked for (``Action/wakeAtWindow(opensAt:)``), until it comes.
    private var windowWakeUp: Double?
    /// Why the API refused the job, once it did.
    private(set) var pauseReason: String?
    private(set) var stopRequested = false
    private var ended = false

    /// A machine for a run with `settings`.
    init(settings: Settings) {
        self.settings = settings
        bucket = TokenBucket(rate: settings.rate)
        if settings.sharedRate, settings.rate > 0 { granted = GrantedTokens() }
        rateController = RateController(configuration: .init(ceiling: settings.rate, concurrency: settings.concurrency))
    }

    /// Whether the run takes no new request: a stop was asked, or the job is paused.
    var isWindingDown: Bool { stopRequested || pauseReason != nil }

    /// Requests allowed in flight at once: `--concurrency`, or less when the API said so.
    var window: Int { min(settings.concurrency, rateController.window) }

    /// Starts kept marked in flight ahead of the window: half of it, at most 256. A start whose mark is durable
    /// leaves the moment an answer frees a place, while the next commit is under way: the larger the reserve,
    /// the less the sending waits for the store (a PostgreSQL commit is a round trip). Its cost: after a crash,
    /// the reserve's rows are in doubt like the rows in flight, and are asked about, not sent again.
    var reserveTarget: Int { min(256, settings.concurrency / 2) }

    /// Whether the job has nothing to send, nothing in the air and no wait under way.
    var isIdle: Bool { holdings.isIdle }

    /// The starts marked (or being marked) in flight that have not left: the reserve, the marks waiting for a
    /// commit or in it, and those whose commit is durable but that were not sent yet.
    var markedNotSent: [Int] {
        reserve + pendingSends + pendingReserve + sendsBeingCommitted + reserveBeingCommitted + durableSends
    }

    /// Takes in what happened.
    mutating func handle(_ event: Event, now: Double) {
        switch event {
        case .loaded(let last, let exhausted):
            loading = false
            if let last { lastLoaded = last }
            if exhausted { storeExhausted = true }
        case .rowReady(let sequence, let first):
            if first { ready.insert(sequence, at: readyHead) } else { ready.append(sequence) }
        case .statusQuestion(let sequence):
            statusQuestions.append(sequence)
        case .waitsForWindow(let sequence, let opensAt):
            windowWaits[opensAt, default: []].append(sequence)
        case .windowOpened(let now):
            if let wakeUp = windowWakeUp, wakeUp <= now { windowWakeUp = nil }
            for opensAt in windowWaits.keys.sorted() where opensAt <= now {
                ready += windowWaits.removeValue(forKey: opensAt) ?? []
            }
        case .withdrawn(let sequence):
            if let index = pendingSends.firstIndex(of: sequence) {
                pendingSends.remove(at: index)
            } else if let index = pendingReserve.firstIndex(of: sequence) {
                pendingReserve.remove(at: index)
            } else {
                inFlight -= 1
            }
        case .wrote:
            unsavedWrites = true
        case .waitStarted:
            waiting += 1
        case .waitEnded:
            waiting -= 1
        case .answered(let signal):
            inFlight -= 1
            if let change = rateController.record(signal, now: now) {
                bucket.setRate(change.rate ?? 0, now: now)
                rateChanges.append(change)
            }
        case .commitDue:
            commitScheduled = false
            commitDue = true
        case .committed:
            committing = false
            durableSends += sendsBeingCommitted
            reserve += reserveBeingCommitted
            sendsBeingCommitted.removeAll(keepingCapacity: true)
            reserveBeingCommitted.removeAll(keepingCapacity: true)
        case .tokenWaitOver:
            tokenWaitScheduled = false
        case .tokensGranted(let grant):
            tokensAsked = false
            granted?.count += grant.granted
            granted?.wait = grant.wait
        case .inDoubt(let unresolved, let waiting):
            inDoubtUnresolved = unresolved
            inDoubtWaiting = waiting
        case .paused(let reason):
            if pauseReason == nil { pauseReason = reason }
        case .stopRequested:
            stopRequested = true
        }
    }

    /// What to do now, in order: the rate changes to announce, the commit that is due, the sends whose marks
    /// are durable, the pass over the window (``SendPlan``), a load, the next commit, and the end of the run.
    /// After an ``Action/askForTokens(upTo:rate:capacity:)`` the pass stops; until the grant is in, the window is
    /// not planned.
    mutating func next(now: Double) -> [Action] {
        guard !ended else { return [] }
        var actions = rateChanges.map(Action.rateChanged)
        rateChanges.removeAll()
        if commitDue {
            commitDue = false
            if !committing { actions.append(startCommit()) }
        }
        for sequence in durableSends {
            inFlight += 1
            actions.append(.send(sequence))
        }
        durableSends.removeAll(keepingCapacity: true)
        if !isWindingDown {
            if let ask = tokensToAskFor() {
                tokensAsked = true
                actions.append(ask)
                return actions
            }
            if !tokensAsked { plan(now: now, into: &actions) }
            if let load = loadIfNeeded() { actions.append(load) }
            if let opensAt = windowWaits.keys.min(), windowWakeUp.map({ opensAt < $0 }) ?? true {
                windowWakeUp = opensAt
                actions.append(.wakeAtWindow(opensAt: opensAt))
            }
        }
        if (unsavedWrites || !pendingSends.isEmpty || !pendingReserve.isEmpty), !commitScheduled, !committing {
            commitScheduled = true
            actions.append(.scheduleCommit)
        }
        actions += ending()
        return actions
    }

    // MARK: Sending

    /// What ``SendPlan`` sees.
    private var situation: SendPlan.Situation {
        SendPlan.Situation(
            window: window, occupied: inFlight + sendsBeingCommitted.count + pendingSends.count,
            statusQuestions: statusQuestions.count, reserve: reserve.count, ready: ready.count - readyHead,
            reserveTarget: reserveTarget,
            reserveHeld: reserve.count + pendingReserve.count + reserveBeingCommitted.count)
    }

    /// On a shared store: when no granted token is left, no wait for one is under way and a request could
    /// leave now, the ask for more.
    private func tokensToAskFor() -> Action? {
        guard let granted, granted.count == 0, !tokenWaitScheduled, !tokensAsked else { return nil }
        let situation = self.situation
        guard situation.occupied < situation.window,
            situation.statusQuestions + situation.reserve + situation.ready > 0
        else { return nil }
        let size = GrantedTokens.grantSize(rate: bucket.rate)
        return .askForTokens(upTo: size, rate: bucket.rate, capacity: 2 * size)
    }

    /// One pass over the window as ``SendPlan`` decides: status questions, then the reserve, then new starts,
    /// then starts marked for the reserve; and the wait for a token when that is what is missing.
    private mutating func plan(now: Double, into actions: inout [Action]) {
        let plan: SendPlan
        if var tokens = granted {
            plan = SendPlan.plan(situation, bucket: &tokens, now: now)
            granted = tokens
        } else {
            plan = SendPlan.plan(situation, bucket: &bucket, now: now)
        }
        for sequence in statusQuestions.prefix(plan.statusQuestions) { actions.append(.askStatus(sequence)) }
        statusQuestions.removeFirst(plan.statusQuestions)
        for sequence in reserve.prefix(plan.fromReserve) { actions.append(.send(sequence)) }
        reserve.removeFirst(plan.fromReserve)
        inFlight += plan.statusQuestions + plan.fromReserve
        for _ in 0..<plan.newStarts {
            pendingSends.append(ready[readyHead])
            actions.append(.start(ready[readyHead], intoReserve: false))
            readyHead += 1
        }
        for _ in 0..<plan.reserveStarts {
            pendingReserve.append(ready[readyHead])
            actions.append(.start(ready[readyHead], intoReserve: true))
            readyHead += 1
        }
        if let wait = plan.tokenWait, !tokenWaitScheduled {
            tokenWaitScheduled = true
            actions.append(.waitForToken(seconds: wait))
        }
    }

    /// A load while the ready rows still last: the store reads the next rows meanwhile.
    private mutating func loadIfNeeded() -> Action? {
        let readyLeft = ready.count - readyHead
        guard !storeExhausted, !loading, readyLeft < max(settings.concurrency, settings.loadBatch / 2) else {
            return nil
        }
        if readyHead > 4096 {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
        loading = true
        return .load(after: lastLoaded, limit: settings.loadBatch)
    }

    /// Starts the group commit: the starts marked so far leave (or join the reserve) once it is durable.
    private mutating func startCommit() -> Action {
        let marksStarts = !pendingSends.isEmpty || !pendingReserve.isEmpty
        committing = true
        unsavedWrites = false
        swap(&sendsBeingCommitted, &pendingSends)
        swap(&reserveBeingCommitted, &pendingReserve)
        return .commit(marksStarts: marksStarts)
    }

    // MARK: The end

    /// What ``JobEnding`` needs to know.
    private var holdings: JobEnding.Holdings {
        JobEnding.Holdings(
            inFlight: inFlight + durableSends.count, awaitingCommit: pendingSends.count + pendingReserve.count,
            committing: committing, pauseReason: pauseReason, stopRequested: stopRequested,
            storeExhausted: storeExhausted,
            waitingToLeave: ready.count - readyHead + reserve.count + statusQuestions.count,
            waitingRetries: waiting, inDoubtUnresolved: inDoubtUnresolved, inDoubtWaiting: inDoubtWaiting,
            waitingForWindow: windowWaits.values.reduce(0) { $0 + $1.count }, windowOpensAt: windowWaits.keys.min())
    }

    /// The end of the run, if it has come: a paused or stopped run first hands back what never left.
    private mutating func ending() -> [Action] {
        let ending: Ending
        switch JobEnding.decide(holdings) {
        case .notYet: return []
        case .lookUpInDoubtRows: return [.lookUpInDoubtRows]
        case .finished: ending = .finished
        case .paused(let reason): ending = .paused(reason: reason)
        case .stopped: ending = .stopped
        case .waitingForWindow(let rows, let opensAt): ending = .waitingForWindow(rows: rows, opensAt: opensAt)
        }
        ended = true
        var actions: [Action] = []
        if ending != .finished, !reserve.isEmpty || !statusQuestions.isEmpty {
            actions.append(.handBack(reserve: reserve, statusQuestions: statusQuestions))
            reserve.removeAll()
            statusQuestions.removeAll()
        }
        actions.append(.end(ending))
        return actions
    }
}
