/// Whether a job's run is over, and how, decided as a pure value from what the scheduler still holds:
/// ``SchedulerMachine`` asks after every pass.
enum JobEnding: Equatable {
    /// Not yet: something is still in the air, waiting for a commit, or left to send.
    case notYet
    /// The API refused the job as a whole: hand back the unsent rows and pause it.
    case paused(reason: String)
    /// A stop was requested: hand back the unsent rows; the next run goes on.
    case stopped
    /// Every row has a final status.
    case finished
    /// Only rows in doubt are left, waiting to be looked up together: look them up now.
    case lookUpInDoubtRows
    /// Every other row is done; `rows` wait for `--send-window`, the first of which opens at `opensAt` (seconds
    /// since 1970). The job stays unfinished: a later run sends them.
    case waitingForWindow(rows: Int, opensAt: Double)

    /// What the scheduler holds when it asks.
    struct Holdings: Equatable {
        /// Requests in the air.
        var inFlight = 0
        /// Starts waiting for their in-flight mark to be committed (to leave, or to join the reserve).
        var awaitingCommit = 0
        /// Whether a commit is under way.
        var committing = false
        /// Why the API refused the job, if it did.
        var pauseReason: String?
        /// Whether a stop was requested.
        var stopRequested = false
        /// Whether every row of the store has been loaded.
        var storeExhausted = false
        /// Loaded rows not yet started, starts in the reserve, and status questions waiting.
        var waitingToLeave = 0
        /// Rows waiting for their retry time.
        var waitingRetries = 0
        /// Whether rows in doubt are still to be looked up: waiting for a look-up, or in one under way.
        var inDoubtUnresolved = false
        /// Whether rows in doubt wait for a look-up to start.
        var inDoubtWaiting = false
        /// Rows whose start waits for its window.
        var waitingForWindow = 0
        /// When the first of their windows opens (seconds since 1970).
        var windowOpensAt: Double?

        /// Whether the job has nothing to send, nothing in the air and no retry to wait for.
        var isIdle: Bool {
            storeExhausted && waitingToLeave == 0 && waitingRetries == 0 && inFlight == 0 && awaitingCommit == 0
        }
    }

    /// The ending for `holdings`. Nothing ends while a request is in the air or a commit is pending; a
    /// pause comes before a stop, and both before the end of the rows; rows waiting for their window end the run
    /// only once nothing else is left.
    static func decide(_ holdings: Holdings) -> JobEnding {
        guard holdings.inFlight == 0, holdings.awaitingCommit == 0, !holdings.committing else { return .notYet }
        if let reason = holdings.pauseReason { return .paused(reason: reason) }
        if holdings.stopRequested { return .stopped }
        guard holdings.isIdle else { return .notYet }
        if holdings.inDoubtUnresolved { return holdings.inDoubtWaiting ? .lookUpInDoubtRows : .notYet }
        if holdings.waitingForWindow > 0, let opensAt = holdings.windowOpensAt {
            return .waitingForWindow(rows: holdings.waitingForWindow, opensAt: opensAt)
        }
        return .finished
    }
}
