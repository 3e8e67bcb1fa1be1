/// Where jobs and their rows live: the seam between verifyd and its database, the composition of what each of its
/// users needs (``RowSendingStore``, ``JobLifecycleStore``, ``JobStoreReader``, ``OutcomeStore``,
/// ``RunnerRegistry``). ``JobStores/open(_:creating:)`` returns one; each user takes only the part it needs.
/// ``SQLiteJobStore`` (SQLite, one file per spool) is the embedded implementation, ``PostgresJobStore`` the one
/// several runners share.
///
/// The store is the truth (docs/design.md, principle 1): a row's state changes here before the world is told,
/// and a row is marked in flight here before its request leaves the process. Every method may block on I/O: call
/// it from a Dispatch queue or a thread of its own, never from Swift's cooperative pool.
///
/// Where a method means something else for the embedded store (one runner per spool) than for the shared one
/// (several runners on one PostgreSQL database), its comment says what.
public protocol JobStoring: RowSendingStore, JobLifecycleStore, OutcomeStore, RunnerRegistry, JobControlStore {}

/// What every part of the store says about itself: where it is, and whether several runners share it.
public protocol LocatedStore: AnyObject, Sendable {
    /// Where the store is, for messages: a file path, or a database address without its password.
    var location: String { get }

    /// Whether several runners may share the store (PostgreSQL), so that rows of a job can be with others.
    var isShared: Bool { get }
}

/// What an operator's commands (`verifyd pause`, `resume`, `cancel`) write, and `status` reads of them: each
/// action is weighed by the job's life (``JobLifecycle``) and, when it is not refused, changes the job's state and
/// is recorded in one transaction, whether or not a runner is at work.
public protocol JobControlStore: LocatedStore {
    /// Applies `action` to job `jobID` for `user` at `requestedAt` (ISO 8601), with `reason`, and records it.
    ///
    /// - Returns: the job's life's answer: `.moved` or `.unchanged` (a pause of a job paused already, say).
    /// - Throws: ``JobActionRefused`` when there is no such job or its life refuses the action (nothing changes).
    @discardableResult
    func steer(
        jobID: String, _ action: OperatorAction, reason: String?, user: String, requestedAt: String
    ) throws -> JobLifecycle.Answer

    /// The control actions on a job, in the order they were asked.
    func actions(jobID: String) throws -> [JobAction]

    /// Ends `canceled` every row of a canceled job that waits for a request (rows in flight or in doubt get their
    /// answer first); returns how many.
    @discardableResult
    func cancelUnsentRows(jobID: String, at: String) throws -> Int

    /// Records that runner `runnerID` carried out, at `at` (ISO 8601), every action on job `jobID` no runner had
    /// carried out yet; returns how many.
    @discardableResult
    func markActionsCarriedOut(jobID: String, runnerID: String, at: String) throws -> Int
}

/// What the scheduler (``JobScheduler``) needs to send a job: the rows to send and those left in flight, the group
/// commit that marks and answers them, the shared rate, the answered requests a lost request's look-up pages
/// through, and pausing the job.
public protocol RowSendingStore: LocatedStore {
    /// Up to `limit` rows of a job that still need a request and that this runner has not been handed yet,
    /// starting after sequence `after` (the last row handed to it), in input order, carried out on the store's
    /// queue while the caller goes on; `completion` gets the rows or the error.
    ///
    /// The SQLite store has one runner per spool (its lock): every row after `after` is this runner's, and rows
    /// in flight are not included (see ``rowsLeftInFlight(jobID:)``). The PostgreSQL store leases ranges of rows
    /// to this runner, which say what it has had (`after` plays no part): first the ranges of runners that ended
    /// or were found gone, their rows in flight as `in_doubt`, then fresh ranges, until it has `limit` rows or
    /// none is left.
    func rowsToSendAsync(
        jobID: String, after: Int, limit: Int, completion: @escaping @Sendable (Result<[WorkRow], any Error>) -> Void
    )

    /// The rows of a job left marked in flight by a runner that is gone: their requests may have left, so
    /// they are in doubt. The SQLite store has one runner per spool (its lock), so at the start of a run every
    /// row still in flight is one of them. The PostgreSQL store returns none: it hands such rows out, in doubt,
    /// through ``rowsToSendAsync(jobID:after:limit:completion:)`` once their runner's lease is over.
    func rowsLeftInFlight(jobID: String) throws -> [WorkRow]

    /// The group commit: writes a batch of row changes and the job's counters in one transaction, carried out
    /// while the caller goes on; `completion` gets `nil` once the transaction is durable, or the error.
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - writes: row changes, applied in order.
    ///   - requests: requests sent since the last commit.
    ///   - retries: of which retries.
    ///   - sendingSeconds: time spent sending since the last commit.
    ///   - startedAt: the job's first send, recorded if the job has none yet.
    func commitAsync(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?,
        completion: @escaping @Sendable ((any Error)?) -> Void
    )

    /// Takes up to `wanted` tokens from the store's rate bucket, which refills at `rate` per second and holds
    /// at most `capacity`, on the store's queue while the caller goes on; `completion` gets the grant or the
    /// error. `--rate` is the budget of every runner of the store together. The PostgreSQL store keeps the bucket
    /// in a row (`rate_budget`) on the database's clock, so runners on hosts whose clocks differ still share one
    /// rate. The SQLite store, with one runner, grants every token asked for: that runner's own bucket is the
    /// budget.
    func takeRateTokensAsync(
        upTo wanted: Int, rate: Double, capacity: Int,
        completion: @escaping @Sendable (Result<RateGrant, any Error>) -> Void)

    /// Answered requests of every job within `seconds` (wall-clock seconds since 1970, both included): how
    /// many attempts a listing of that time range may have to page through.
    func answeredRequests(in seconds: ClosedRange<Int>) throws -> Int

    /// Pauses a queued job (rows untouched) with a reason for the operator: the API refused it as a whole. A job an
    /// operator paused or canceled meanwhile stays as the operator left it.
    func pauseJob(id: String, reason: String) throws
}

/// What intake (``JobIntake``) and the runner's handling of a job's life (``SpoolRunner``) write: a claimed file
/// becomes a job, its rows go in, and the job is held, resumed, finished or rejected; a run may mark its rows
/// dry-run or skip those sent recently.
public protocol JobLifecycleStore: LocatedStore {
    /// Records a newly claimed file as a job in state `intake`, read for `provider`. The store numbers its
    /// jobs: the SQLite store takes the highest number plus one, under its one writer; the PostgreSQL store
    /// takes the next of a sequence. Throws ``JobIDTaken`` when a job has that id already.
    func createJob(
        id: String, fileName: String, workPath: String, createdAt: String, provider: ProviderName?
    ) throws

    /// Records the provider of a job stored before verifyd kept it, when a run is about to send it; a job
    /// that has one keeps it.
    func adoptProvider(jobID: String, provider: ProviderName) throws

    /// Forgets the rows of a job whose intake was interrupted, so intake can start over.
    func restartIntake(jobID: String) throws

    /// Inserts a batch of rows read by intake, in one transaction, while intake reads the next batch;
    /// `completion` gets `nil` once the rows are written, or the error. They need no durability before
    /// ``finishIntake(jobID:extraColumns:totalRows:)``: a job still in `intake` is read again from the start.
    func insertRowsAsync(
        jobID: String, _ rows: [NewRow], completion: @escaping @Sendable ((any Error)?) -> Void
    )

    /// Ends intake: records the extra columns and the row count and queues the job for sending, unless an operator
    /// paused or canceled it while it was read.
    func finishIntake(jobID: String, extraColumns: [String], totalRows: Int) throws

    /// Holds a queued or held job (rows untouched) that would send more than `--max-sends` allows.
    func holdJob(id: String, reason: String) throws

    /// Records how many of the job's rows wait for `--send-window`, and when the first window opens (seconds since
    /// 1970), as a run leaves the job; `nil` for none. On a shared store, the last runner to leave the job says.
    func noteWindowWait(jobID: String, rows: Int?, opensAt: Double?) throws

    /// Puts a held job, or one paused by verifyd's own rules, back in the queue; only `verifyd resume` lifts an
    /// operator's pause (``JobControlStore/steer(jobID:_:reason:user:requestedAt:)``).
    func resumeJob(id: String) throws

    /// Marks a job finished (`canceled` when an operator canceled it, once or again) and records where its input file
    /// now lives.
    func finishJob(id: String, workPath: String, finishedAt: String) throws

    /// Marks a job whose file cannot be read as a job at all, and records where the file went.
    func rejectJob(id: String, workPath: String, reason: String) throws

    /// `--dry-run`: every row still waiting for its first request ends `would_send`; returns how many.
    @discardableResult
    func markUnsentRowsWouldSend(jobID: String, at timestamp: String) throws -> Int

    /// `--cooldown`: marks the job's rows that would start a verification for a number that another job
    /// sent successfully at or after `since` (ISO 8601) as `skipped`, unsent. Rows not yet sent and
    /// dry-run rows (`would_send`) are looked at; checks are not. Idempotent.
    ///
    /// - Returns: the rows skipped by this call.
    @discardableResult
    func skipRecentlySent(jobID: String, since: String, window: String, at timestamp: String) throws -> Int

    /// Marks `skipped`, at `timestamp`, each row of the job still waiting for its first start (never sent, not a
    /// check) whose number (E.164) `refusal` gives a reason for; the reason is the row's message. Idempotent.
    ///
    /// - Returns: the rows skipped by this call.
    @discardableResult
    func skipUnsentStarts(jobID: String, at timestamp: String, refusal: (String) -> String?) throws -> Int
}

/// What the reports (``ReportWriter``), `status`, `outcomes` and the runner's choice of jobs read: jobs, their
/// rows and counts. Nothing here writes.
public protocol JobStoreReader: LocatedStore {
    /// One job, or `nil` if there is no job with that id.
    func job(id: String) throws -> JobRecord?

    /// Every job, oldest first.
    func jobs() throws -> [JobRecord]

    /// Jobs that are not finished, oldest first.
    func unfinishedJobs() throws -> [JobRecord]

    /// Calls `body` with every row of a job in input order, for the reports.
    func forEachReportRow(jobID: String, _ body: (ReportRow) throws -> Void) throws

    /// Rows of a job that will still start a verification (unfinished rows without a code to check).
    func verificationsToStart(jobID: String) throws -> Int

    /// Rows of a job per final status (unfinished rows are counted under `unfinished`).
    func statusCounts(jobID: String) throws -> [String: Int]

    /// Rows of a job without a final status, counted beside the store's own work: the commits the sending
    /// waits for do not wait for this scan of the whole job (about half a second for a million rows).
    func unfinishedRowsCountedAside(jobID: String) throws -> Int

    /// Rows of a job whose last answer was an error, per error code and final status, most frequent
    /// first. An error answer without a code counts under `http_STATUS` (e.g. `http_503`).
    func errorCodeBreakdown(jobID: String) throws -> [ErrorCodeCount]

    /// A job's answered requests per wall-clock second (seconds since 1970), in time order.
    func requestsPerSecond(jobID: String) throws -> [(second: Int, requests: Int)]

    /// The rows of a job whose start the API accepted (`sent`), in input order.
    func sentRows(jobID: String) throws -> [SentRow]
}

/// What `verifyd outcomes` (``OutcomeCollector``) needs: the reads, for the rows to ask about and the reports
/// written again, and the outcomes it stores.
public protocol OutcomeStore: JobStoreReader {
    /// Stores outcomes of a job's rows, and when they were asked for, in one transaction.
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - outcomes: the outcome to store per row sequence (merged by the caller with the stored one).
    ///   - checkedAt: when the API was asked (ISO 8601).
    func recordOutcomes(
        jobID: String, _ outcomes: [(sequence: Int, outcome: VerificationOutcome)], checkedAt: String
    ) throws
}

/// The store's runners: ``SpoolRunner`` records its process while it runs, and `verifyd runners` lists them.
public protocol RunnerRegistry: LocatedStore {
    /// Records this process as a runner of the store (``RunnerRecord/thisProcess()``, a new id on a shared store
    /// each time, so that a runner that lost its lease starts afresh) and keeps telling the store it is alive
    /// (``RunnerLease/renewalInterval``) until ``stopRunning()``; every group commit and load tells it too.
    ///
    /// On a shared store, the rows handed to a runner are its own until another runner finds it not seen for
    /// `lease` and records it gone: its rows in flight are then in doubt for whoever takes them, and the returned
    /// lease is lost (``RunnerLease/lost``; commits and loads throw ``LeaseLoss``). Requests for the rows carry
    /// the lease's ``RunnerLease/sendDeadline``: each confirmed renewal's start plus `lease` minus
    /// `requestTimeout`, the longest a request lasts.
    @discardableResult
    func startRunning(lease: Duration, requestTimeout: Duration) throws -> RunnerLease

    /// Stops telling the store this process is alive (the run is over).
    func stopRunning()

    /// The runners the store has seen, most recently seen first.
    func runners() throws -> [RunnerRecord]
}

/// ``JobLifecycleStore/createJob(id:fileName:workPath:createdAt:provider:)`` found the id taken: by a job another host
/// claimed in the same second with the same random part (a shared store), or a file claimed twice.
public struct JobIDTaken: Error, CustomStringConvertible {
    /// The id.
    public var id: String

    /// `job id ID is taken`.
    public var description: String { "job id \(id) is taken" }
}

/// Opens the store a `--db` names: a `postgresql://` (or `postgres://`) URI is a shared PostgreSQL store, anything
/// else the path of a SQLite file.
public enum JobStores {
    /// Opens the store at `address` and brings its schema up to date. With `creating` (what `run` does), a store
    /// that is not there is created: the SQLite file, or verifyd's schema in the PostgreSQL database. Without it
    /// (the commands that only look at a store) nothing is created. An existing store at an older schema version
    /// is migrated either way, since verifyd reads only the current schema.
    ///
    /// - Throws: ``StoreMissing`` when there is no store and `creating` is false; a ``StoreError`` when it cannot
    ///   be opened.
    public static func open(_ address: String, creating: Bool) throws -> any JobStoring {
        guard PostgresAddress.isPostgres(address) else { return try SQLiteJobStore(path: address, creating: creating) }
        if !creating, try !Migrations.hasSchema(address: address) {
            throw StoreMissing(location: PostgresAddress.withoutPassword(address), isDatabase: true)
        }
        return try PostgresJobStore(address: address)
    }
}

/// An error of the store itself (it cannot be opened, read or written), whichever database it is: the run
/// stops, and what was committed before stays.
public protocol StoreError: Error, CustomStringConvertible {}
