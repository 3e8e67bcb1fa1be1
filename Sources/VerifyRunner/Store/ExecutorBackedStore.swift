/// A ``JobStoring`` that runs its statements through a ``StoreExecutor`` on a queue of its own: ``SQLiteJobStore``
/// and ``PostgresJobStore``. What both databases do alike is written once, in this protocol's extension, over the
/// executor and the statements of ``StoreSQL``; a store implements only what differs in behaviour (the leases of
/// rows and their take-over, the fenced group commit, rate tokens, runner liveness, job numbering, bulk writes)
/// and may replace any of these with its own.
protocol ExecutorBackedStore: JobStoring {
    /// The store's connection, as the statements written once see it.
    associatedtype Executor: StoreExecutor

    /// Runs `body` with the store's connection on the store's queue and waits for it. The PostgreSQL store runs it
    /// again on a connection opened again when the database went away meanwhile.
    @discardableResult
    func withExecutor<T>(_ body: (Executor) throws -> T) throws -> T

    /// The job's keys in `job_rows` (job 0, matching no row, for an unknown job). Call inside
    /// ``withExecutor(_:)``.
    func keys(of jobID: String) throws -> RowKeyRange

    /// A new connection to the store, for a long read beside the store's queue (which it does not hold up).
    func openReader() throws -> Executor

    /// Runs `body` on the store's queue while the caller goes on; `completion` gets `nil` once it is done (its
    /// transaction committed), or the error.
    func onQueue(_ body: @escaping @Sendable () throws -> Void, completion: @escaping @Sendable ((any Error)?) -> Void)

    /// Inserts a batch of intake's rows in one transaction. Call on the store's queue.
    func insertTransaction(jobID: String, _ rows: [NewRow]) throws

    /// The group commit's transaction (``RowSendingStore/commitAsync(jobID:writes:requests:retries:sendingSeconds:startedAt:completion:)``).
    /// Call on the store's queue.
    func commitTransaction(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?
    ) throws
}

extension ExecutorBackedStore {
    // MARK: Writes on the store's queue

    func insertRowsAsync(
        jobID: String, _ rows: [NewRow], completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        onQueue({ try self.insertTransaction(jobID: jobID, rows) }, completion: completion)
    }

    func commitAsync(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?,
        completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        onQueue(
            {
                try self.commitTransaction(
                    jobID: jobID, writes: writes, requests: requests, retries: retries, sendingSeconds: sendingSeconds,
                    startedAt: startedAt)
            }, completion: completion)
    }

    // MARK: Jobs

    func adoptProvider(jobID: String, provider: ProviderName) throws {
        try withExecutor { try $0.run(StoreSQL.adoptProvider, provider.rawValue, jobID) }
    }

    func job(id: String) throws -> JobRecord? {
        try withExecutor { try $0.rows(StoreSQL.job, id, read: Self.job).first }
    }

    func jobs() throws -> [JobRecord] {
        try withExecutor { try $0.rows(StoreSQL.jobs, read: Self.job) }
    }

    func unfinishedJobs() throws -> [JobRecord] {
        try withExecutor { try $0.rows(StoreSQL.unfinishedJobs, read: Self.job) }
    }

    func restartIntake(jobID: String) throws {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            try executor.run(StoreSQL.deleteRows, keys.first, keys.last)
        }
    }

    func finishIntake(jobID: String, extraColumns: [String], totalRows: Int) throws {
        try withExecutor { try $0.run(StoreSQL.finishIntake, ExtrasCodec.encode(extraColumns), totalRows, jobID) }
    }

    func pauseJob(id: String, reason: String) throws {
        try withExecutor { try $0.run(StoreSQL.pauseJob, reason, id) }
    }

    func holdJob(id: String, reason: String) throws {
        try withExecutor { try $0.run(StoreSQL.holdJob, reason, id) }
    }

    func noteWindowWait(jobID: String, rows: Int?, opensAt: Double?) throws {
        try withExecutor { try $0.run(StoreSQL.noteWindowWait, rows, opensAt, jobID) }
    }

    func resumeJob(id: String) throws {
        try withExecutor { try $0.run(StoreSQL.resumeJob, id) }
    }

    func finishJob(id: String, workPath: String, finishedAt: String) throws {
        try withExecutor { try $0.run(StoreSQL.finishJob, workPath, finishedAt, id) }
    }

    func rejectJob(id: String, workPath: String, reason: String) throws {
        try withExecutor { executor in
            let keys = try keys(of: id)
            try executor.transaction {
                try executor.run(StoreSQL.deleteRows, keys.first, keys.last)
                try executor.run(StoreSQL.rejectJob, workPath, reason, id)
            }
        }
    }

    // MARK: Rows

    @discardableResult
    func markUnsentRowsWouldSend(jobID: String, at timestamp: String) throws -> Int {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            return try executor.run(StoreSQL.markUnsentRowsWouldSend, timestamp, keys.first, keys.last)
        }
    }

    @discardableResult
    func skipRecentlySent(jobID: String, since: String, window: String, at timestamp: String) throws -> Int {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            return try executor.run(
                StoreSQL.skipRecentlySent, timestamp, window, keys.first, keys.last, since, keys.first, keys.last)
        }
    }

    func skipUnsentStarts(jobID: String, at timestamp: String, refusal: (String) -> String?) throws -> Int {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            let refused = try executor.rows(StoreSQL.unsentStarts, keys.first, keys.last) {
                (row: any StoredColumns, at: UnsentStartColumns) in
                refusal(row.text(at.e164)).map { (id: row.int(at.id), message: $0) }
            }
            guard !refused.isEmpty else { return 0 }
            return try executor.transaction {
                try refused.reduce(0) { skipped, row in
                    skipped + (try executor.run(StoreSQL.skipUnsentStart, timestamp, row.message, row.id))
                }
            }
        }
    }

    // MARK: Reads

    func verificationsToStart(jobID: String) throws -> Int {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            return try executor.integer(StoreSQL.verificationsToStart, keys.first, keys.last)
        }
    }

    func statusCounts(jobID: String) throws -> [String: Int] {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            let counts = try executor.rows(StoreSQL.statusCounts, keys.first, keys.last) {
                (row: any StoredColumns, at: StatusCountColumns) in (row.text(at.finalStatus), row.int(at.rowCount))
            }
            return Dictionary(counts) { _, last in last }
        }
    }

    /// Counted on a connection of its own (``openReader()``): the store's queue, and the commits the sending
    /// waits for, do not wait for this scan of the whole job (about half a second for a million rows).
    func unfinishedRowsCountedAside(jobID: String) throws -> Int {
        let keys = try withExecutor { _ in try self.keys(of: jobID) }
        return try openReader().integer(StoreSQL.unfinishedRows, keys.first, keys.last)
    }

    func errorCodeBreakdown(jobID: String) throws -> [ErrorCodeCount] {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            return try executor.rows(StoreSQL.errorCodeBreakdown, keys.first, keys.last) {
                (row: any StoredColumns, at: ErrorCodeCountColumns) in StoredRecords.errorCodeCount(row, at: at)
            }
        }
    }

    func requestsPerSecond(jobID: String) throws -> [(second: Int, requests: Int)] {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            return try executor.rows(StoreSQL.requestsPerSecond, keys.job) {
                (row: any StoredColumns, at: RequestSecondColumns) in
                (second: row.int(at.second), requests: row.int(at.requests))
            }
        }
    }

    func sentRows(jobID: String) throws -> [SentRow] {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            return try executor.rows(StoreSQL.sentRows, keys.first, keys.last) {
                (row: any StoredColumns, at: SentRowColumns) in
                StoredRecords.sentRow(row, at: at, keys: keys)
            }
        }
    }

    func answeredRequests(in seconds: ClosedRange<Int>) throws -> Int {
        try withExecutor { try $0.integer(StoreSQL.answeredRequests, seconds.lowerBound, seconds.upperBound) }
    }

    // MARK: Control

    @discardableResult
    func steer(
        jobID: String, _ action: OperatorAction, reason: String?, user: String, requestedAt: String
    ) throws -> JobLifecycle.Answer {
        try withExecutor { executor in
            try executor.transaction {
                // A runner may change the job's state between the read and the write: the write then changes no
                // row, and the action is weighed again against the state it found.
                while true {
                    guard let job = try executor.rows(StoreSQL.job, jobID, read: Self.job).first else {
                        throw JobActionRefused.noSuchJob(jobID)
                    }
                    var life = JobLifecycle(phase: job.phase)
                    let answer = life.handle(action.event)
                    if case .refused(let refusal) = answer { throw JobActionRefused.refused(jobID: jobID, refusal) }
                    if case .moved(let phase, _) = answer {
                        let (state, by, why) = Self.stored(phase, user: user, reason: reason, action: action)
                        let changed = try executor.run(
                            StoreSQL.steerJob, state.rawValue, by, why, jobID, job.state.rawValue)
                        guard changed == 1 else { continue }
                    }
                    try executor.run(StoreSQL.recordJobAction, jobID, action.rawValue, reason, user, requestedAt)
                    return answer
                }
            }
        }
    }

    func actions(jobID: String) throws -> [JobAction] {
        try withExecutor { executor in
            try executor.rows(StoreSQL.jobActions, jobID) { (row: any StoredColumns, at: JobActionColumns) in
                StoredRecords.jobAction(row, at: at)
            }
        }
    }

    @discardableResult
    func cancelUnsentRows(jobID: String, at: String) throws -> Int {
        try withExecutor { executor in
            let keys = try keys(of: jobID)
            return try executor.run(StoreSQL.cancelUnsentRows, at, keys.first, keys.last)
        }
    }

    @discardableResult
    func markActionsCarriedOut(jobID: String, runnerID: String, at: String) throws -> Int {
        try withExecutor { try $0.run(StoreSQL.markActionsCarriedOut, at, runnerID, jobID) }
    }

    /// How `phase`, reached by an operator's `action`, is stored: its state, who paused or canceled the job, and
    /// why (the operator's reason, or what was done by whom).
    private static func stored(
        _ phase: JobLifecycle.Phase, user: String, reason: String?, action: OperatorAction
    ) -> (JobState, String?, String?) {
        let why = reason ?? "\(action == .cancel ? "canceled" : "paused") by \(user)"
        switch phase {
        case .pausedByOperator: return (.paused, user, why)
        case .canceling: return (.canceling, user, why)
        default: return (JobState(phase: phase), nil, nil)
        }
    }

    // MARK: Runners

    func runners() throws -> [RunnerRecord] {
        try withExecutor {
            try $0.rows(StoreSQL.runners) { (row: any StoredColumns, at: RunnerColumns) in
                StoredRecords.runner(row, at: at)
            }
        }
    }

    /// A job read from its row.
    private static func job(_ row: any StoredColumns, at columns: JobColumns) -> JobRecord? {
        StoredRecords.job(row, at: columns)
    }
}
