import Dispatch
import Foundation
public import Logging
import Synchronization

/// `verifyd run`: claims the spool's files, reads them into jobs, sends each job's rows with a
/// ``JobScheduler``, and writes the reports — one job at a time, oldest first. Each job is sent only
/// through the provider it was read for; with `--follow-up`, it also collects the outcomes of finished
/// jobs (``OutcomeCollector``).
///
/// ``run()`` blocks its calling thread (a thread of the command's own, never a cooperative-pool
/// thread) until the spool is drained (`--once`) or ``stop()`` is called (daemon mode).
///
/// The time stamps it writes, its follow-up timing and its jobs' schedulers read the injected ``RunClock``. Its
/// looks into the file system (how long a file in `incoming/` has been still, the daemon's polls) keep the
/// machine's clock: they compare with the file system's own time stamps.
public final class SpoolRunner: Sendable {
    /// Settings, filled from `verifyd run`'s options.
    public struct Configuration: Sendable {
        /// The spool.
        public var spool: Spool
        /// The provider the jobs are sent through.
        public var providerName: ProviderName
        /// Reading files.
        public var intake: JobIntake.Configuration
        /// Sending rows.
        public var scheduler: JobScheduler.Configuration
        /// `--once`: drain and return instead of watching `incoming/`.
        public var once: Bool
        /// How often the daemon looks into `incoming/`.
        public var pollInterval: Duration
        /// `--dry-run`: read, normalize and report every job, but send nothing (rows `would_send`).
        public var dryRun: Bool
        /// `--max-sends`: a job that would start more verifications than this is held; `nil` for no limit.
        public var maxSends: Int?
        /// `--settle`: how long a file in `incoming/` must be unchanged before it is claimed.
        public var settle: Duration
        /// `--cooldown` as written (e.g. `24h`): a number sent successfully by any job within this window
        /// is `skipped`.
        public var cooldown: String?
        /// `--follow-up`: collect a job's outcomes this long after it finished; `nil` for never.
        public var followUp: Duration?
        /// How outcomes are collected (`--code-lifetime`, and the sending limits).
        public var outcomes: OutcomeCollector.Configuration
        /// `--lease`: how long a runner of a shared store keeps its rows without being seen.
        public var lease: Duration

        /// Creates a configuration.
        public init(
            spool: Spool, providerName: ProviderName, intake: JobIntake.Configuration = .init(),
            scheduler: JobScheduler.Configuration = .init(), once: Bool, pollInterval: Duration = .seconds(1),
            dryRun: Bool = false, maxSends: Int? = nil, settle: Duration = .seconds(1),
            cooldown: String? = nil, followUp: Duration? = nil,
            outcomes: OutcomeCollector.Configuration = OutcomeCollector.Configuration(), lease: Duration = .seconds(30)
        ) {
            self.spool = spool
            self.providerName = providerName
            self.intake = intake
            self.scheduler = scheduler
            self.once = once
            self.pollInterval = pollInterval
            self.dryRun = dryRun
            self.maxSends = maxSends
            self.settle = settle
            self.cooldown = cooldown
            self.followUp = followUp
            self.outcomes = outcomes
            self.lease = lease
        }
    }

    /// How a run ended.
    public struct Result: Sendable {
        /// Jobs that finished in this run, in the order they finished.
        public var finishedJobs: [JobRecord] = []
        /// Files rejected in this run (job id, file name, reason).
        public var rejectedFiles: [(jobID: String, fileName: String, reason: String)] = []
        /// Jobs held by `--max-sends` in this run (job id, file name, reason).
        public var heldJobs: [(jobID: String, fileName: String, reason: String)] = []
        /// Unfinished jobs read for another provider, left alone (job id, file name, their provider).
        public var leftAloneJobs: [(jobID: String, fileName: String, provider: ProviderName)] = []
        /// Jobs whose outcomes `--follow-up` collected in this run.
        public var followedUp: [OutcomeCollector.JobResult] = []
        /// Jobs left unfinished with rows waiting for `--send-window` (job id, file name, rows, when the first
        /// window opens in seconds since 1970), as the last run of each left them.
        public var windowWaits: [(jobID: String, fileName: String, rows: Int, opensAt: Double)] = []
        /// Set when a job was paused: the reason (exit 1).
        public var pauseReason: String?
        /// Set when the store failed (exit 1).
        public var storeFailure: String?

        /// Whether the run ended as it should (exit 0).
        public var succeeded: Bool { pauseReason == nil && storeFailure == nil }
    }

    private let configuration: Configuration
    private let store: any JobStoring
    private let provider: any VerificationProvider
    private let transport: any HTTPTransport
    private let logger: Logger
    private let metrics: RunMetrics?
    private let scanner: SpoolScanner
    /// What the provider brings beside single requests (V2: the Attempts API), shared by every job's look-ups
    /// and the follow-ups.
    private let companion: (any ProviderCompanion)?
    private let clock: any RunClock
    private let stopped = Atomic<Bool>(false)
    private let current = Mutex<JobScheduler?>(nil)
    /// This process's lease as a runner of the store (a new one after a lost one).
    private let lease = Mutex<RunnerLease?>(nil)
    private let wakeUp = DispatchSemaphore(value: 0)
    /// Jobs whose rows all wait for `--send-window`, with when the first window opens (seconds since 1970): the
    /// daemon sends them again then.
    private let windowOpenings = Mutex<[String: Double]>([:])
    /// The follow-up collection under way, if any (signalled when it ends), and the jobs whose last one
    /// failed, with when (they are tried again after ``followUpRetryDelay``).
    private let followUpState = Mutex<(running: FollowUpRun?, failedAt: [String: Double])>((nil, [:]))
    /// How often `--once` looks again at jobs whose last rows other runners hold, in seconds: the run ends
    /// this long at most after the last of them is finished.
    private static let othersHoldPoll = 0.25
    /// How long a job whose follow-up failed waits before it is tried again, in seconds.
    private static let followUpRetryDelay = 300.0

    /// Creates a runner.
    ///
    /// The provider's companion (``VerificationProvider/makeCompanion(transport:timeout:metrics:)``) is made here,
    /// once: in-doubt look-ups and follow-ups go through it.
    ///
    /// - Parameter clock: where time stamps, follow-up timing and the schedulers' time come from.
    public init(
        configuration: Configuration, store: any JobStoring, provider: any VerificationProvider,
        transport: any HTTPTransport, logger: Logger, metrics: RunMetrics? = nil, clock: any RunClock = SystemClock()
    ) {
        self.clock = clock
        self.configuration = configuration
        self.store = store
        self.provider = provider
        self.transport = transport
        self.logger = logger
        self.metrics = metrics
        self.companion = provider.makeCompanion(
            transport: transport, timeout: configuration.scheduler.timeout, metrics: metrics)
        self.scanner = SpoolScanner(spool: configuration.spool)
    }

    /// Asks the run to end: no new rows are taken; requests in flight finish and are recorded.
    public func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        current.withLock { $0 }?.stop()
        companion?.stop()
        wakeUp.signal()
    }

    /// Runs until the spool is drained (`once`) or ``stop()`` is called. Blocks the calling thread.
    ///
    /// - Throws: spool and store errors that prevent the run from starting.
    public func run() throws -> Result {
        try configuration.spool.prepare()
        var result = Result()
        try startRunning()
        defer { store.stopRunning() }
        try adoptOrphans()
        try settleInterruptedEndings()
        for job in try store.unfinishedJobs() where otherProvider(of: job) == nil {
            var life = JobLifecycle(phase: job.phase)
            guard case .moved(_, then: .send) = life.handle(.runStarts) else { continue }
            logger.info("resuming paused job", metadata: ["job.id": "\(job.id)"])
            try store.resumeJob(id: job.id)
        }
        // With --once each job is worked on at most once, so a job that cannot progress ends the run
        // instead of spinning. A held job is looked at once per process: only a new limit frees it.
        var attempted = Set<String>()
        // Jobs this run has sent its part of while other runners still hold some of their rows.
        var othersHold = Set<String>()
        var announcedSettling = false
        var sightings = SpoolScanner.Sightings()
        defer { waitForFollowUp() }
        while !isStopped {
            if let loss = lease.withLock({ $0 })?.lost { try startAfresh(after: loss, unsent: 0) }
            try claimIncoming(&sightings)
            let ownFiles = Set(scanner.claimedFiles().map(\.jobID))
            let unfinished = try store.unfinishedJobs().filter { isSentByThisRun($0, into: &result) }
            // A job an operator paused waits for `resume`.
            for job in unfinished where job.phase == .pausedByOperator { try noteSteering(of: job) }
            let jobs = unfinished.filter {
                // A job still being read belongs to the runner whose spool holds its file.
                ($0.state != .intake || ownFiles.contains($0.id)) && $0.phase != .pausedByOperator
            }
            let now = clock.now()
            let waitingForWindow = windowOpenings.withLock { openings in
                openings = openings.filter { $0.value > now }
                return openings
            }
            let toAttempt = jobs.filter {
                (!attempted.contains($0.id) || (!configuration.once && $0.state != .held))
                    && waitingForWindow[$0.id] == nil
            }
            for job in toAttempt where !isStopped {
                attempted.insert(job.id)
                if try process(job, into: &result) { othersHold.insert(job.id) }
                if !result.succeeded { return result }
            }
            // On a shared store another runner may have finished a job whose file is in this spool.
            if store.isShared { try settleInterruptedEndings() }
            if !configuration.once { startDueFollowUp() }
            if configuration.once {
                guard toAttempt.isEmpty else { continue }
                // Jobs whose last rows other runners of a shared store hold: they finish them, or this run
                // takes them over once their lease is over, so look again in a while (a canceled job's file,
                // too, waits here for its report).
                othersHold.formIntersection(jobs.filter { $0.state == .queued || $0.state == .canceling }.map(\.id))
                if !othersHold.isEmpty {
                    attempted.subtract(othersHold)
                    _ = wakeUp.wait(timeout: .now() + min(Self.othersHoldPoll, configuration.lease.seconds / 4))
                    continue
                }
                let candidates = lookIntoIncoming(&sightings)
                if candidates.ready.isEmpty, candidates.settling == 0 {
                    result.followedUp += startDueFollowUp()?.results() ?? []
                    break
                }
                // Files still being written: wait for them to settle, then claim them.
                if candidates.ready.isEmpty {
                    if !announcedSettling {
                        logger.info(
                            "waiting for files in incoming/ to stop changing (--settle)",
                            metadata: ["files": "\(candidates.settling)"])
                        announcedSettling = true
                    }
                    _ = wakeUp.wait(timeout: .now() + 0.1)
                }
            } else if toAttempt.isEmpty {
                // Nothing to send now: look again after the poll interval, or when the first window opens.
                let untilOpening = waitingForWindow.values.min().map { max(0, $0 - clock.now()) }
                let wait = min(configuration.pollInterval.seconds, untilOpening ?? .infinity)
                _ = wakeUp.wait(timeout: .now() + wait)
            }
        }
        return result
    }

    private var isStopped: Bool { stopped.load(ordering: .sequentiallyConsistent) }

    /// The clock's time as a time stamp for the store.
    private var nowStamp: String { Timestamp.iso8601(clock.now()) }

    /// Records this process as a runner of the store, with a new lease; the job being sent when the lease is
    /// lost hears of it at once.
    private func startRunning() throws {
        let granted = try store.startRunning(
            lease: configuration.lease, requestTimeout: configuration.scheduler.timeout)
        lease.withLock { $0 = granted }
        granted.whenLost { [weak self] _ in self?.current.withLock { $0 }?.leaseLost() }
    }

    /// Says what happened when another runner found this one gone, and goes on as a new runner: the rows it
    /// held are another's (or anyone's) now, and this run takes rows afresh, as any other runner would.
    private func startAfresh(after loss: LeaseLoss, unsent: Int) throws {
        metrics?.leaseLost()
        let deadline = lease.withLock { $0 }?.sendDeadline
        let late = deadline?.requestsMayHaveLeftLate ?? 0
        var what = "\(loss); \(unsent) request\(unsent == 1 ? "" : "s") it had prepared for them did not leave"
        if late > 0 {
            what +=
                "; \(late) may have left after the lease's send deadline (the process was paused between the "
                + "last check and the write): their numbers may get a second code"
        }
        try startRunning()
        logger.warning(
            "this runner lost its lease: it drops the rows it held and goes on as a new runner",
            metadata: [
                "what": "\(what)", "runner": "\(loss.runnerID)",
                "new_runner": "\(lease.withLock { $0 }?.runnerID ?? "")",
            ])
    }

    /// The provider a job was read for when it is not this run's (`nil` when this run may send it).
    private func otherProvider(of job: JobRecord) -> ProviderName? {
        job.provider.flatMap { $0 == configuration.providerName ? nil : $0 }
    }

    /// Whether this run sends `job`: a job read for another provider is never sent through this one (its
    /// rows may be in flight or in doubt at that provider); it is left alone, said once per run.
    private func isSentByThisRun(_ job: JobRecord, into result: inout Result) -> Bool {
        guard let other = otherProvider(of: job) else { return true }
        if !result.leftAloneJobs.contains(where: { $0.jobID == job.id }) {
            logger.warning(
                "job left alone: it was read for another provider; run with that --provider to send it",
                metadata: [
                    "job.id": "\(job.id)", "job.provider": "\(other.rawValue)",
                    "provider": "\(configuration.providerName.rawValue)",
                ])
            result.leftAloneJobs.append((job.id, job.fileName, other))
        }
        return false
    }
    /// Files claimed by a process that died before recording their job.
    private func adoptOrphans() throws {
        let known = Set(try store.jobs().map(\.id))
        for orphan in scanner.orphans(knownJobIDs: known) {
            logger.warning("adopting a claimed file without a job", metadata: ["file": "\(orphan.name.printable)"])
            try recordJob(jobID: orphan.jobID, name: orphan.name, path: orphan.path)
        }
    }

    /// Jobs the store has finished, canceled or rejected whose file is still in `processing/`: a crash or a full
    /// disk came between the store's write and the files', or another runner of a shared store ended the job. Their
    /// report (or error note) is written again and the file moved.
    private func settleInterruptedEndings() throws {
        for claimed in scanner.claimedFiles() {
            guard var job = try store.job(id: claimed.jobID), [.finished, .canceled, .rejected].contains(job.state)
            else { continue }
            if job.workPath == claimed.path {
                // Finished by another runner of a shared store, which left the file to this one.
                try store.finishJob(
                    id: job.id, workPath: donePath(of: job), finishedAt: job.finishedAt ?? nowStamp)
                job = try store.job(id: job.id) ?? job
                logger.info("moving the file of a job another runner finished", metadata: ["job.id": "\(job.id)"])
            } else {
                logger.warning("completing a job's files after an interruption", metadata: ["job.id": "\(job.id)"])
            }
            try settle(job)
        }
    }

    /// The files in `incoming/` ready to claim and still settling; a file dated in the future is said once.
    private func lookIntoIncoming(_ sightings: inout SpoolScanner.Sightings) -> SpoolScanner.Candidates {
        let candidates = scanner.candidates(settle: configuration.settle.seconds, sightings: &sightings)
        for file in candidates.futureDated {
            logger.warning(
                """
                a file in incoming/ is dated in the future (a writer with a clock ahead?): it is claimed once it has \
                not changed for --settle by this machine's clock
                """,
                metadata: [
                    "file": "\(file.name.printable)", "modified": "\(Timestamp.iso8601WholeSeconds(file.changed))",
                ])
        }
        return candidates
    }

    private func claimIncoming(_ sightings: inout SpoolScanner.Sightings) throws {
        for name in lookIntoIncoming(&sightings).ready {
            guard let claimed = try scanner.claim(name) else { continue }
            let jobID = try recordJob(jobID: claimed.jobID, name: name, path: claimed.path)
            logger.info("claimed file", metadata: ["job.id": "\(jobID)", "file": "\(name.printable)"])
        }
    }

    /// Records a claimed file as a job; when its id is taken (another host of a shared store claimed a file in
    /// the same second with the same random part), gives the file a new id and tries again. Returns the id.
    @discardableResult
    private func recordJob(jobID: String, name: String, path: String) throws -> String {
        var claimed = (jobID: jobID, path: path)
        for _ in 0..<Self.idAttempts {
            do {
                try store.createJob(
                    id: claimed.jobID, fileName: name, workPath: claimed.path, createdAt: nowStamp,
                    provider: configuration.providerName)
                return claimed.jobID
            } catch let taken as JobIDTaken {
                logger.warning("job id taken; claiming the file under a new one", metadata: ["job.id": "\(taken.id)"])
                claimed = try scanner.reclaim(jobID: claimed.jobID, name: name)
            }
        }
        throw JobIDTaken(id: claimed.jobID)
    }

    /// Ids tried for one claimed file before the claim fails.
    private static let idAttempts = 5

    /// Takes one job through its life (``JobLifecycle``) as far as this run can: from what the job's phase waits
    /// for (``JobLifecycle/work(in:)``), each step ends in events; the machine's answer to them names the next
    /// step. Returns whether rows of the job remain with other runners of a shared store (this run has sent every
    /// row it could take).
    ///
    /// The store stays the truth: its writes are guarded, so an operator's pause or cancel written meanwhile by
    /// another process is never undone, and a step that finds one feeds it to the machine before its own event.
    private func process(_ found: JobRecord, into result: inout Result) throws -> Bool {
        var job = found
        try noteSteering(of: job)
        if job.provider == nil {
            try store.adoptProvider(jobID: job.id, provider: configuration.providerName)
            job.provider = configuration.providerName
        }
        var life = JobLifecycle(phase: job.phase)
        var step = Step(
            followUp: JobLifecycle.work(in: job.phase), readByDryRun: configuration.dryRun && job.phase == .intake)
        while true {
            let events: [JobLifecycle.Event]
            switch step.followUp {
            case .none:
                return false
            case .readFile:
                switch try readFile(of: job) {
                case .success(let read):
                    job = read
                    step.readNow = true
                    // An operator's pause or cancel while the file was read stands: the machine hears of it first.
                    events = (read.phase.operatorEvent.map { [$0] } ?? []) + [.rowsRead]
                case .failure(let unreadable):
                    step.rejection = unreadable.description
                    events = [.fileUnreadable]
                }
            case .send where !step.limitChecked:
                step.limitChecked = true
                events = [try checkSendLimit(of: job, into: &step)]
            case .send, .cancelUnsentRows:
                if step.followUp == .cancelUnsentRows {
                    job = try store.job(id: job.id) ?? job
                    try noteSteering(of: job)
                }
                switch try send(&job, canceling: step.followUp == .cancelUnsentRows, step: &step) {
                case .events(let ending): events = ending
                case .othersHold: return true
                case .ended(let ending):
                    try carryOut(ending, of: job, into: &result)
                    return ending.othersHold
                }
            case .hold:
                try store.holdJob(id: job.id, reason: step.holdReason)
                logger.warning("job held", metadata: ["job.id": "\(job.id)", "reason": "\(step.holdReason)"])
                metrics?.jobCompleted("held")
                result.heldJobs.append((job.id, job.fileName, step.holdReason))
                return false
            case .stopSending:
                if life.phase == .pausedByAPI {
                    metrics?.jobCompleted("paused")
                    result.pauseReason = step.pauseReason
                } else if let now = try store.job(id: job.id) {
                    try noteSteering(of: now)
                }
                return false
            case .finish, .finishCanceled:
                try finish(job, into: &result)
                return false
            case .rejectFile:
                try reject(job, reason: step.rejection ?? "not a job file", into: &result)
                return false
            }
            step.followUp = events.reduce(JobLifecycle.FollowUp.none) { _, event in
                if case .moved(_, let next) = life.handle(event) { return next }
                return .none
            }
        }
    }

    /// Where ``process(_:into:)`` is in one job: the next follow-up, and what earlier steps found for later ones.
    private struct Step {
        /// What the runner does next.
        var followUp: JobLifecycle.FollowUp
        /// A dry run's intake stores rows `would_send` already; only jobs read earlier need marking.
        let readByDryRun: Bool
        /// Whether `--max-sends` (and `--cooldown`, `--countries`) have been applied.
        var limitChecked = false
        /// Whether this run read the job's file, with its own `--countries` and `--exclude-countries`.
        var readNow = false
        /// Why the job is held, when `--max-sends` holds it.
        var holdReason = ""
        /// Why the file is not a job, when it is not.
        var rejection: String?
        /// Why the API refused the job, when it did.
        var pauseReason = ""
    }

    /// Skips the rows `--cooldown` covers, and those `--countries` or `--exclude-countries` refuse in a job read
    /// before (intake skips them as it reads), then compares the verifications the job would start with
    /// `--max-sends`: the event that says which side of the limit the job is on.
    private func checkSendLimit(of job: JobRecord, into step: inout Step) throws -> JobLifecycle.Event {
        let policy = configuration.intake.countryPolicy
        if !policy.refusesNothing, !step.readNow {
            let normalizer = PhoneNormalizer()
            let skipped = try store.skipUnsentStarts(jobID: job.id, at: nowStamp) { e164 in
                normalizer.region(ofE164: e164).flatMap(policy.refusal(region:))
            }
            if skipped > 0 {
                metrics?.rowsFinished(["skipped": skipped])
                logger.info(
                    "rows skipped by --countries or --exclude-countries",
                    metadata: ["job.id": "\(job.id)", "rows": "\(skipped)"])
            }
        }
        if let cooldown = configuration.cooldown, let window = DurationText.parse(cooldown) {
            let now = clock.now()
            let skipped = try store.skipRecentlySent(
                jobID: job.id, since: Timestamp.iso8601(now - window.seconds), window: cooldown,
                at: Timestamp.iso8601(now))
            if skipped > 0 {
                metrics?.rowsFinished(["skipped": skipped])
                logger.info("rows skipped by --cooldown", metadata: ["job.id": "\(job.id)", "rows": "\(skipped)"])
            }
        }
        guard !configuration.dryRun, let limit = configuration.maxSends else { return .withinSendLimit }
        let starts = try store.verificationsToStart(jobID: job.id)
        guard starts > limit else { return .withinSendLimit }
        step.holdReason =
            "would send \(starts) verifications, more than --max-sends \(limit); "
            + "run again with --max-sends \(starts) or more"
        return .overSendLimit
    }

    /// How sending a job's rows ended: in events for its lifecycle, or in something the run itself must answer.
    private enum SendEnding {
        /// What happened to the job.
        case events([JobLifecycle.Event])
        /// This run sent every row it could take; other runners of a shared store hold the rest.
        case othersHold
        /// The run stops with the job unfinished (``RunEnding``).
        case ended(RunEnding)
    }

    /// Why a run leaves a job unfinished.
    private enum RunEnding {
        /// A stop was asked for.
        case stopped
        /// The store failed.
        case storeFailed(String)
        /// This runner's lease was lost; the job goes on with its rows taken afresh.
        case leaseLost(LeaseLoss, unsent: Int)
        /// The rows left wait for `--send-window`, the first until `opensAt` (seconds since 1970).
        case waitingForWindow(rows: Int, opensAt: Double)

        /// Whether the job goes on in this run (the rows are taken afresh or finished by other runners).
        var othersHold: Bool {
            if case .leaseLost = self { return true }
            return false
        }
    }

    /// Sends the job's rows (a held job is queued again first), or with `canceling` ends its unsent rows `canceled`
    /// and settles the rest; in a dry run marks them `would_send`. Waits until the rows are done, the run stops, or
    /// an operator pauses or cancels the job.
    private func send(_ job: inout JobRecord, canceling: Bool, step: inout Step) throws -> SendEnding {
        if job.state == .held {
            try store.resumeJob(id: job.id)
            job.state = .queued
        }
        let outcome: JobScheduler.Outcome
        var steered: JobLifecycle.Phase?
        if canceling {
            // Rows waiting for a request end `canceled`; rows in flight or in doubt get their answer (a question
            // sends no code), and any of them that would be sent again ends `canceled` too.
            let canceled = try store.cancelUnsentRows(jobID: job.id, at: nowStamp)
            metrics?.rowsFinished(["canceled": canceled])
            let unfinished = try store.unfinishedRowsCountedAside(jobID: job.id)
            outcome = unfinished == 0 ? .finished : runScheduler(for: job, canceling: true).outcome
        } else if configuration.dryRun {
            if !step.readByDryRun {
                let marked = try store.markUnsentRowsWouldSend(jobID: job.id, at: nowStamp)
                metrics?.rowsFinished(["would_send": marked])
            }
            outcome = .finished
        } else {
            (outcome, steered) = runScheduler(for: job, canceling: false)
        }
        let operatorEvent = steered?.operatorEvent.map { [$0] } ?? []
        let leavesRowsWaiting = if case .waitingForWindow = outcome { true } else { false }
        if !leavesRowsWaiting, job.rowsWaitingForWindow != nil {
            try store.noteWindowWait(jobID: job.id, rows: nil, opensAt: nil)
        }
        switch outcome {
        case .finished:
            if store.isShared, try store.unfinishedRowsCountedAside(jobID: job.id) > 0 {
                logger.info("rows of the job are with other runners", metadata: ["job.id": "\(job.id)"])
                return .othersHold
            }
            return .events(operatorEvent + [.rowsFinished])
        case .paused(let reason):
            step.pauseReason = reason
            return .events([.credentialsRefused])
        case .stopped where !operatorEvent.isEmpty: return .events(operatorEvent)
        case .stopped: return .ended(.stopped)
        case .storeFailed(let message): return .ended(.storeFailed(message))
        case .leaseLost(let loss, let unsent): return .ended(.leaseLost(loss, unsent: unsent))
        case .waitingForWindow(let rows, let opensAt): return .ended(.waitingForWindow(rows: rows, opensAt: opensAt))
        }
    }

    /// Says how the run leaves a job it stops sending.
    private func carryOut(_ ending: RunEnding, of job: JobRecord, into result: inout Result) throws {
        switch ending {
        case .stopped: logger.info("job stopped; it resumes on the next run", metadata: ["job.id": "\(job.id)"])
        case .storeFailed(let message): result.storeFailure = message
        case .leaseLost(let loss, let unsent): try startAfresh(after: loss, unsent: unsent)
        case .waitingForWindow(let rows, let opensAt):
            try store.noteWindowWait(jobID: job.id, rows: rows, opensAt: opensAt)
            windowOpenings.withLock { $0[job.id] = opensAt }
            logger.info(
                "rows wait for --send-window in their recipients' local time; the job goes on when it opens",
                metadata: [
                    "job.id": "\(job.id)", "rows": "\(rows)", "opens_at": "\(Timestamp.iso8601(opensAt))",
                ])
            result.windowWaits.removeAll { $0.jobID == job.id }
            result.windowWaits.append((job.id, job.fileName, rows, opensAt))
        }
    }

    /// Ends a job whose every row is final: the store first (`finished`, or `canceled` when an operator canceled
    /// it; docs/design.md, principle 1), then its report and file (see ``settleInterruptedEndings()``).
    private func finish(_ job: JobRecord, into result: inout Result) throws {
        try store.finishJob(id: job.id, workPath: donePath(of: job), finishedAt: nowStamp)
        guard let finished = try store.job(id: job.id) else { return }
        try noteSteering(of: finished)
        try settle(finished)
        // The metrics first, then the line: whoever reads the line finds the job counted.
        metrics?.jobCompleted(finished.state.rawValue)
        metrics?.succeeded(at: clock.now())
        result.windowWaits.removeAll { $0.jobID == job.id }
        logger.info(
            finished.state == .canceled ? "job canceled" : "job finished",
            metadata: ["job.id": "\(job.id)", "rows": "\(finished.totalRows)"])
        result.finishedJobs.append(finished)
    }

    /// Moves the file of a job that is not a job at all to `rejected/`, with `reason` beside it.
    private func reject(_ job: JobRecord, reason: String, into result: inout Result) throws {
        let rejectedPath = SpoolScanner.unusedPath(in: configuration.spool.rejected, name: job.fileName)
        try store.rejectJob(id: job.id, workPath: rejectedPath, reason: reason)
        if let rejected = try store.job(id: job.id) { try settle(rejected) }
        logger.error("file rejected", metadata: ["job.id": "\(job.id)", "reason": "\(reason)"])
        metrics?.jobCompleted("rejected")
        result.rejectedFiles.append((job.id, job.fileName, reason))
    }

    /// Records that this runner carried out the operators' actions on `job` not carried out yet, and says what
    /// they left the job in.
    private func noteSteering(of job: JobRecord) throws {
        guard let runnerID = lease.withLock({ $0 })?.runnerID,
            try store.markActionsCarriedOut(jobID: job.id, runnerID: runnerID, at: nowStamp) > 0
        else { return }
        let metadata: Logger.Metadata = [
            "job.id": "\(job.id)", "state": "\(job.state.rawValue)", "by": "\(job.pausedBy ?? "-")",
            "reason": "\(job.pausedReason ?? "-")",
        ]
        switch job.phase {
        case .pausedByOperator:
            logger.notice("job paused by an operator; it waits for verifyd resume", metadata: metadata)
        case .canceling: logger.notice("job canceled by an operator; no row of it is sent any more", metadata: metadata)
        default: logger.notice("an operator's action on the job was carried out", metadata: metadata)
        }
    }

    /// Where a finished job's file goes: `done/` of this spool when its file is here; where it is otherwise
    /// (another runner's spool, whose runner moves it: see ``settleInterruptedEndings()``).
    private func donePath(of job: JobRecord) -> String {
        guard FileManager.default.fileExists(atPath: scanner.claimedPath(jobID: job.id, name: job.fileName)) else {
            return job.workPath
        }
        return SpoolScanner.unusedPath(in: configuration.spool.done, name: job.fileName)
    }

    /// Reads a claimed file into rows: the job as the store has it then, or why the file is not a job.
    private func readFile(of job: JobRecord) throws -> Swift.Result<JobRecord, JobFileError> {
        try store.restartIntake(jobID: job.id)
        do {
            var intakeConfiguration = configuration.intake
            intakeConfiguration.dryRun = configuration.dryRun
            let intake = JobIntake(configuration: intakeConfiguration)
            let read = try intake.read(path: job.workPath, jobID: job.id, into: store)
            try store.finishIntake(jobID: job.id, extraColumns: read.extraColumns, totalRows: read.rows)
            metrics?.rowsFinished(read.finished)
            logger.info("file read", metadata: ["job.id": "\(job.id)", "rows": "\(read.rows)"])
            return .success(try store.job(id: job.id) ?? job)
        } catch let error as JobFileError {
            return .failure(error)
        }
    }

    /// Writes the files of a job the store has finished (its report) or rejected (`NAME.error.txt`),
    /// then moves its input from `processing/` to the path the store recorded.
    private func settle(_ job: JobRecord) throws {
        switch job.state {
        case .finished, .canceled:
            try ReportWriter(store: store).write(job: job, to: configuration.spool.reportDirectory(jobID: job.id))
        case .rejected:
            let note = try AtomicFileWriter(path: job.workPath + ".error.txt")
            try note.write("\(job.fileName.printable): \(job.pausedReason ?? "not a job file")\n")
            try note.commit()
        case .intake, .queued, .paused, .held, .canceling:
            return
        }
        let claimed = scanner.claimedPath(jobID: job.id, name: job.fileName)
        guard job.workPath != claimed, FileManager.default.fileExists(atPath: claimed) else { return }
        try scanner.move(claimed, to: job.workPath)
    }

    /// Runs the job's scheduler and waits for it on this (non-cooperative) thread, until the job's rows are done,
    /// the run stops, or an operator pauses or cancels the job (`steered`: the phase the job was put in).
    ///
    /// With `canceling` (an operator canceled the job), nothing is sent: rows in doubt are asked about.
    private func runScheduler(for job: JobRecord, canceling: Bool) -> (
        outcome: JobScheduler.Outcome, steered: JobLifecycle.Phase?
    ) {
        let scheduler = JobScheduler(
            jobID: job.id, store: store, provider: provider, transport: transport,
            configuration: configuration.scheduler, logger: logger, metrics: metrics,
            inDoubtLookUp: companion.map { companion in
                let store = self.store
                // A listing pages through every request of the account in its span; this store's own answered
                // requests in it are the best estimate at hand.
                return companion.makeInDoubtLookUp(
                    margin: configuration.scheduler.inDoubtMargin, logger: logger,
                    answeredRequests: { span in (try? store.answeredRequests(in: span)) ?? 0 })
            },
            lease: lease.withLock { $0 }, clock: clock, canceling: canceling)
        if let metrics {
            // The rows done before this run are counted aside while the first requests leave. The count
            // reads the store as it was when the job started (the first commit marks rows in flight; rows
            // finish only after their answers), and the rows finished since are counted one by one.
            metrics.jobStarted(id: job.id, fileName: job.fileName, totalRows: job.totalRows, doneRows: 0)
            let store = self.store
            DispatchQueue.global().async {
                guard let unfinished = try? store.unfinishedRowsCountedAside(jobID: job.id) else { return }
                metrics.rowsDoneBefore(job.totalRows - unfinished, jobID: job.id)
            }
        }
        defer { metrics?.jobEnded() }
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<JobScheduler.Outcome>(.stopped)
        current.withLock { $0 = scheduler }
        scheduler.run { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        if isStopped { scheduler.stop() }
        let watch = SteeringWatch(store: store, jobID: job.id) { [logger] phase in
            guard phase == .pausedByOperator || !canceling else { return }
            scheduler.stop()
            // Every runner sending the job says so; only the first records the action carried out (noteSteering).
            let action = phase == .canceling ? "cancel" : "pause"
            logger.notice(
                "stopped sending the job for an operator's \(action); requests in the air finish",
                metadata: ["job.id": "\(job.id)"])
        }
        done.wait()
        let steered = watch.end()
        current.withLock { $0 = nil }
        return (outcome.withLock { $0 }, steered)
    }
}

extension SpoolRunner {
    // MARK: Follow-up (`--follow-up`)

    /// Finished jobs of this run's provider whose outcomes are due: finished at least `--follow-up` ago,
    /// within the 30 days the APIs remember, and not asked since they became due.
    private func dueFollowUps(after delay: Duration) throws -> [JobRecord] {
        let now = clock.now()
        let failedAt = followUpState.withLock { $0.failedAt }
        return try store.jobs().filter { job in
            guard job.state == .finished, job.provider == configuration.providerName,
                let finished = job.finishedAt.flatMap(Timestamp.seconds(fromISO8601:)),
                finished + delay.seconds <= now, finished > now - 30 * 86_400,
                failedAt[job.id].map({ $0 + Self.followUpRetryDelay <= now }) ?? true
            else { return false }
            let checked = job.outcomesCheckedAt.flatMap(Timestamp.seconds(fromISO8601:)) ?? 0
            return checked < finished + delay.seconds
        }
    }

    /// Starts collecting the outcomes of the jobs that are due, unless a collection is under way; it runs
    /// beside the sending. Returns it, or `nil` when none was started.
    @discardableResult
    private func startDueFollowUp() -> FollowUpRun? {
        guard let delay = configuration.followUp, !configuration.dryRun, !isStopped,
            followUpState.withLock({ $0.running == nil })
        else { return nil }
        let due: [JobRecord]
        do {
            due = try dueFollowUps(after: delay)
        } catch {
            logger.error("cannot read the jobs due for a follow-up", metadata: ["error": "\(error)"])
            return nil
        }
        guard !due.isEmpty else { return nil }
        let run = FollowUpRun()
        followUpState.withLock { $0.running = run }
        let spool = configuration.spool
        let collector = OutcomeCollector(
            store: store, provider: provider, transport: transport, companion: companion,
            configuration: configuration.outcomes, logger: logger, metrics: metrics,
            reportDirectory: { spool.reportDirectory(jobID: $0) })
        logger.info("follow-up: collecting outcomes", metadata: ["jobs": "\(due.map(\.id).joined(separator: ","))"])
        collector.collect(due) { outcome in
            var results: [OutcomeCollector.JobResult] = []
            switch outcome {
            case .success(let collected): results = collected
            case .failure(let failure):
                self.logger.warning("follow-up failed; it is tried again later", metadata: ["error": "\(failure)"])
                let now = self.clock.now()
                self.followUpState.withLock { state in
                    for job in due { state.failedAt[job.id] = now }
                }
            }
            self.followUpState.withLock { $0.running = nil }
            run.finish(results)
        }
        return run
    }

    /// Waits for a follow-up collection under way to end (a stopped run stops its listings first).
    private func waitForFollowUp() {
        _ = followUpState.withLock({ $0.running })?.results()
    }
}

/// One follow-up collection under way, and its results once it has ended.
private final class FollowUpRun: Sendable {
    private let ended = DispatchSemaphore(value: 0)
    private let collected = Mutex<[OutcomeCollector.JobResult]>([])

    /// The collection ended with these results.
    func finish(_ results: [OutcomeCollector.JobResult]) {
        collected.withLock { $0 = results }
        ended.signal()
    }

    /// Waits (blocking the calling thread, never a cooperative one) until the collection has ended, and
    /// returns its results; any number of calls, one after the other.
    func results() -> [OutcomeCollector.JobResult] {
        ended.wait()
        ended.signal()
        return collected.withLock { $0 }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
