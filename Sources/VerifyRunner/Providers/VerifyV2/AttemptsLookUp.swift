public import Dispatch
public import Logging

/// Finds out, for a job's V2 rows in doubt, whether their starts reached the API, by listing the Verification
/// Attempts API (docs/in-doubt.md): rows are gathered into listings (``InDoubtBatcher``), each listing's attempts
/// are read against the rows' numbers (``AttemptEvidence``), and the findings go back to the scheduler.
///
/// Lives on the scheduler's queue (``InDoubtLookUp``): its state is touched only there.
public final class AttemptsLookUp: InDoubtLookUp, @unchecked Sendable {
    // @unchecked: every mutable property is touched only on the scheduler's queue.

    private let client: AttemptsClient
    private let logger: Logger
    /// How many of this store's requests were answered in a span of seconds since 1970: the best estimate at hand
    /// of how many attempts a listing of the span pages through.
    private let answeredRequests: @Sendable (ClosedRange<Int>) -> Int
    private var batcher: InDoubtBatcher
    private var queue: DispatchQueue?
    private var report: (@Sendable (InDoubtLookUpReport) -> Void)?
    /// Attempts found so far by each listing under way, by number (listings are numbered as they start).
    private var findings: [Int: [String: [VerificationAttempt]]] = [:]
    private var listingsStarted = 0

    /// Creates the look-up.
    ///
    /// - Parameters:
    ///   - client: the Attempts API's client.
    ///   - margin: `--in-doubt-margin`: how long after a request can no longer leave its attempt is surely listed.
    ///   - answeredRequests: the store's count of answered requests in a span (see ``answeredRequests``).
    public init(
        client: AttemptsClient, margin: Duration, logger: Logger,
        answeredRequests: @escaping @Sendable (ClosedRange<Int>) -> Int
    ) {
        self.client = client
        self.logger = logger
        self.answeredRequests = answeredRequests
        self.batcher = InDoubtBatcher(evidence: AttemptEvidence(margin: margin.seconds))
    }

    /// Keeps the scheduler's queue and where findings go.
    public func begin(on queue: DispatchQueue, report: @escaping @Sendable (InDoubtLookUpReport) -> Void) {
        self.queue = queue
        self.report = report
    }

    /// Takes a row in doubt into the next listing that covers its request.
    public func add(sequence: Int, e164: String, sentAt: Double, leftBy: Double, now: Double) {
        batcher.add(
            sequence: sequence, request: AttemptEvidence.Request(e164: e164, sentAt: sentAt, leftBy: leftBy), now: now)
    }

    /// Whether rows wait for a listing or are in one under way.
    public var holdsRows: Bool { !batcher.isEmpty }

    /// Whether rows wait for a listing (rather than only for listings under way).
    public var hasWaitingRows: Bool { batcher.hasWaitingRows }

    /// Starts the listings the batcher hands out now; returns when it asks to be asked again.
    public func lookUpDue(now: Double, jobIsIdle: Bool) -> Double? {
        guard let queue else { return nil }
        let answeredRequests = self.answeredRequests
        let decision = batcher.decide(now: now, jobIsIdle: jobIsIdle) { range in
            answeredRequests(Int(range.lowerBound)...Int(range.upperBound))
        }
        switch decision {
        case .idle:
            return nil
        case .wait(let until):
            return until
        case .lookUp(let lookups):
            logger.info(
                "looking up rows in doubt in the Verification Attempts API",
                metadata: ["rows": "\(lookups.map(\.rows.count).reduce(0, +))", "listings": "\(lookups.count)"])
            for lookup in lookups { start(lookup, on: queue) }
            return nil
        }
    }

    /// Starts one listing; its pages and its end come back on the scheduler's queue.
    private func start(_ lookup: InDoubtBatcher.Lookup, on queue: DispatchQueue) {
        listingsStarted += 1
        let id = listingsStarted
        let numbers = Set(lookup.rows.map(\.request.e164))
        findings[id] = [:]
        client.list(
            lookup.query, on: queue,
            onPage: { page in
                for attempt in page where numbers.contains(attempt.to) {
                    self.findings[id]?[attempt.to, default: []].append(attempt)
                }
            },
            completion: { result in
                let found = self.findings.removeValue(forKey: id) ?? [:]
                self.listed(lookup, found: found, result: result)
            })
    }

    /// Turns a listing's end into findings for its rows.
    private func listed(
        _ lookup: InDoubtBatcher.Lookup, found: [String: [VerificationAttempt]],
        result: Result<AttemptsClient.Listing, AttemptsClient.Failure>
    ) {
        switch result {
        case .success(let listing):
            let verdicts = batcher.answered(lookup, attempts: found, listedAt: listing.listedAt)
            let findings = verdicts.compactMap { sequence, verdict in
                Self.finding(of: verdict).map { (sequence: sequence, finding: $0) }
            }
            report?(InDoubtLookUpReport(findings: findings, requests: listing.requests))
        case .failure(let failure):
            let sequences = batcher.failed(lookup)
            logger.warning(
                "the Verification Attempts API could not be asked; rows in doubt are asked about again later",
                metadata: ["rows": "\(sequences.count)", "error": "\(failure.description)"])
            let unanswered = ProviderResult(
                verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: true),
                message: "in doubt: the Verification Attempts API could not be asked (\(failure.description))")
            report?(
                InDoubtLookUpReport(
                    findings: sequences.map { (sequence: $0, finding: .unanswered(unanswered)) },
                    requests: failure.requests))
        }
    }

    /// What a verdict of the evidence means for the row; `nil` while it waits to be listed again.
    private static func finding(of verdict: AttemptEvidence.Verdict) -> InDoubtFinding? {
        switch verdict {
        case .askAgain:
            return nil
        case .sent(let attempt):
            return .processed(
                ProviderResult(
                    verdict: .sent,
                    message: "the answer was lost; the Verification Attempts API lists the code sent "
                        + "(attempt \(attempt.sid), \(Timestamp.iso8601WholeSeconds(attempt.createdAt)))",
                    providerID: attempt.verificationSID))
        case .notSent:
            return .notProcessed
        case .cannotTell:
            return .cannotTell(
                ProviderResult(
                    verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: true),
                    message: "in doubt: the request is older than the Verification Attempts API keeps (30 days)"))
        }
    }
}
