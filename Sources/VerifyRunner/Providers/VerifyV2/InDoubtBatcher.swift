/// A job's Verify V2 rows in doubt, waiting to be looked up in the Verification Attempts API, and when and
/// how to look: a pure value (events in, decisions out; the caller passes `now`).
///
/// The API allows 100 requests a minute, so rows are looked up together: one listing of the service's
/// attempts over the time range that covers them all (a page per 1000 attempts), or one listing per
/// number when that takes fewer requests (few rows, a busy service). While the job is still sending, a
/// row waits up to ``maxHold`` seconds for company (or until ``batchSize`` rows wait); once the job has
/// nothing else to do, the look-up is made at once. A row the listing cannot decide yet (its request may
/// still show up, see ``AttemptEvidence``) waits until it can be decided.
///
/// One look-up is under way at a time.
struct InDoubtBatcher: Sendable {
    /// A row waiting for a look-up.
    struct Row: Sendable, Equatable {
        /// The row's position in its job.
        var sequence: Int
        /// Its request in doubt.
        var request: AttemptEvidence.Request
        /// When it started waiting.
        var since: Double
        /// Not to be looked up before this time (a listing that could not decide it yet).
        var notBefore: Double
    }

    /// One listing to make, and the rows it answers.
    struct Lookup: Sendable, Equatable {
        /// The listing.
        var query: AttemptsQuery
        /// The rows whose requests it covers.
        var rows: [Row]
    }

    /// What the caller should do now.
    enum Decision: Sendable, Equatable {
        /// Make these listings (one after the other); report each with ``answered(_:attempts:listedAt:)`` or
        /// ``failed(_:)``.
        case lookUp([Lookup])
        /// Ask again at this time.
        case wait(until: Double)
        /// Nothing to do until a row is added or a look-up comes back.
        case idle
    }

    /// The rule that judges the rows.
    let evidence: AttemptEvidence
    /// The longest a row waits for company while the job still sends, in seconds.
    let maxHold: Double
    /// Rows that make a look-up worth it at once.
    let batchSize: Int
    /// The rows waiting, by sequence.
    private var waiting: [Int: Row] = [:]
    /// Listings handed out and not yet reported.
    private var lookupsUnderWay = 0

    /// Creates an empty batcher.
    init(evidence: AttemptEvidence, maxHold: Double = 10, batchSize: Int = 1000) {
        self.evidence = evidence
        self.maxHold = maxHold
        self.batchSize = max(1, batchSize)
    }

    /// Whether no row waits and no look-up is under way.
    var isEmpty: Bool { waiting.isEmpty && lookupsUnderWay == 0 }

    /// Whether rows wait for a look-up.
    var hasWaitingRows: Bool { !waiting.isEmpty }

    /// A row's request is in doubt: it waits for a look-up.
    mutating func add(sequence: Int, request: AttemptEvidence.Request, now: Double) {
        waiting[sequence] = Row(sequence: sequence, request: request, since: now, notBefore: now)
    }

    /// What to do now.
    ///
    /// - Parameters:
    ///   - now: the current time.
    ///   - jobIsIdle: the job has nothing else to send or wait for: no reason to wait for more rows.
    ///   - attemptsIn: how many attempts the service may have made with creation times in a range (the
    ///     store's count of answered requests): what a listing of the range would page through.
    mutating func decide(now: Double, jobIsIdle: Bool, attemptsIn: (ClosedRange<Double>) -> Int) -> Decision {
        guard lookupsUnderWay == 0, !waiting.isEmpty else { return .idle }
        let eligible = waiting.values.filter { $0.notBefore <= now }.sorted { $0.sequence < $1.sequence }
        guard let oldest = eligible.map(\.since).min() else {
            return .wait(until: waiting.values.map(\.notBefore).min() ?? now)
        }
        if !jobIsIdle, eligible.count < batchSize, now < oldest + maxHold {
            return .wait(until: oldest + maxHold)
        }
        for row in eligible { waiting[row.sequence] = nil }
        let windows = eligible.map { evidence.window(for: $0.request) }
        let covering = (windows.map(\.lowerBound).min() ?? now)...(windows.map(\.upperBound).max() ?? now)
        let pages = attemptsIn(covering) / 1000 + 1
        let lookups: [Lookup]
        if eligible.count <= pages {
            lookups = zip(eligible, windows).map { row, window in
                Lookup(
                    query: AttemptsQuery(
                        createdFrom: window.lowerBound, createdTo: window.upperBound, to: row.request.e164),
                    rows: [row])
            }
        } else {
            lookups = [
                Lookup(
                    query: AttemptsQuery(createdFrom: covering.lowerBound, createdTo: covering.upperBound),
                    rows: eligible)
            ]
        }
        lookupsUnderWay += lookups.count
        return .lookUp(lookups)
    }

    /// A listing came back complete: the verdict for each of its rows. A row it cannot decide yet
    /// (``AttemptEvidence/Verdict/askAgain(at:)``) waits again until then.
    ///
    /// - Parameters:
    ///   - lookup: the look-up, as ``decide(now:jobIsIdle:attemptsIn:)`` handed it out.
    ///   - attempts: the attempts listed for its rows' numbers, by number.
    ///   - listedAt: when the listing's first page was asked for.
    mutating func answered(_ lookup: Lookup, attempts: [String: [VerificationAttempt]], listedAt: Double)
        -> [(sequence: Int, verdict: AttemptEvidence.Verdict)]
    {
        lookupsUnderWay -= 1
        return lookup.rows.map { row in
            let verdict = evidence.verdict(
                for: row.request, attempts: attempts[row.request.e164] ?? [], listedAt: listedAt)
            if case .askAgain(let at) = verdict {
                waiting[row.sequence] = Row(
                    sequence: row.sequence, request: row.request, since: row.since, notBefore: at)
            }
            return (row.sequence, verdict)
        }
    }

    /// A listing could not be completed: its rows leave the batcher (the caller asks again later, or gives up).
    ///
    /// - Returns: the rows' sequences.
    mutating func failed(_ lookup: Lookup) -> [Int] {
        lookupsUnderWay -= 1
        return lookup.rows.map(\.sequence)
    }
}
