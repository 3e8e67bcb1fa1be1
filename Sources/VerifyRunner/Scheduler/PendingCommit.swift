/// What the next group commit of a job carries: the row writes queued since the last one, the requests and
/// retries answered since, and the sending time they took. ``JobScheduler`` adds to it as answers arrive and
/// ``take(at:marksStarts:stamp:)``s it whole for each commit.
struct PendingCommit {
    /// One commit's content, as ``RowSendingStore/commitAsync(jobID:writes:requests:retries:sendingSeconds:startedAt:completion:)``
    /// takes it.
    struct Batch {
        /// The row writes, in order.
        var writes: [RowWrite]
        /// Requests answered since the last commit.
        var requests: Int
        /// Of them, retries.
        var retries: Int
        /// Seconds of sending since the last commit (none before the first request was marked).
        var sendingSeconds: Double
        /// When the job's first request was marked in flight, once it has been (the job's `started_at`).
        var startedAt: String?
    }

    /// Row writes queued since the last commit.
    private var writes: [RowWrite] = []
    /// Requests answered since the last commit.
    var requests = 0
    /// Retries sent since the last commit.
    var retries = 0
    /// When the job's first request was marked in flight.
    private var firstSendAt: String?
    /// When the last commit was taken, uptime seconds.
    private var lastTakenAt: Double

    /// An empty batch, its sending time counted from `now` (uptime seconds).
    init(now: Double) {
        lastTakenAt = now
    }

    /// Whether there is nothing to commit.
    var isEmpty: Bool { writes.isEmpty && requests == 0 }

    /// Queues a row write.
    mutating func add(_ write: RowWrite) { writes.append(write) }

    /// Takes everything queued for a commit at `now` (uptime seconds) and starts the next batch. A commit that
    /// marks starts records `stamp` as the job's first send, once.
    mutating func take(at now: Double, marksStarts: Bool, stamp: @autoclosure () -> String) -> Batch {
        if firstSendAt == nil, marksStarts { firstSendAt = stamp() }
        defer {
            writes.removeAll(keepingCapacity: true)
            requests = 0
            retries = 0
            lastTakenAt = now
        }
        return Batch(
            writes: writes, requests: requests, retries: retries,
            sendingSeconds: firstSendAt == nil ? 0 : now - lastTakenAt, startedAt: firstSendAt)
    }
}
