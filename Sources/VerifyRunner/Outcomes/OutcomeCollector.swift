import Dispatch
public import Logging

/// `verifyd outcomes` and `run --follow-up`: asks the API what became of the codes jobs sent, records each
/// `sent` row's outcome in the store, and writes the jobs' report files again (the `outcome` column, the
/// counts and conversion rate of the summaries, `not_verified.csv`).
///
/// - A provider with a companion that reads outcomes in bulk asks it (``ProviderCompanion/readOutcomes``): Verify
///   V2 lists the Verification Attempts API over the jobs' sending time and joins it by verification sid
///   (``VerifyV2Companion``, docs/outcomes.md).
/// - Otherwise, one status question per row, by the id its start returned (Authy V1's `uuid`,
///   ``VerificationProvider/outcomeRequest(providerID:)``, through ``RequestFanOut``).
///
/// Idempotent: an outcome is merged with the stored one (``VerificationOutcome/updated(with:)``), so
/// asking twice gives the same files and `verified` never goes back. Its work runs on its own serial
/// DispatchQueue; the store and the report files are written there too.
public final class OutcomeCollector: @unchecked Sendable {
    // @unchecked: immutable after init; the collection's state lives in its closures on `queue`.

    /// Settings, from the command line.
    public struct Configuration: Sendable {
        /// How long a V2 code can be checked after its verification is created (`--code-lifetime`).
        public var codeLifetime: Duration
        /// V1 status questions in the air at most.
        public var concurrency: Int
        /// V1 status questions per second at most (0 = no limit).
        public var rate: Double
        /// Time limit of one request.
        public var timeout: Duration
        /// Tries of one question (or of one listing page) before it is given up.
        public var maxTries: Int
        /// How far the API's clock may be off ours, in seconds: V2 listings reach this far around a job.
        public var clockSkew: Double

        /// Creates a configuration.
        public init(
            codeLifetime: Duration = .seconds(600), concurrency: Int = 16, rate: Double = 50,
            timeout: Duration = .seconds(15), maxTries: Int = 5, clockSkew: Double = 30
        ) {
            self.codeLifetime = codeLifetime
            self.concurrency = max(1, concurrency)
            self.rate = max(0, rate)
            self.timeout = timeout
            self.maxTries = max(1, maxTries)
            self.clockSkew = clockSkew
        }
    }

    /// What one job's collection recorded.
    public struct JobResult: Sendable {
        /// The job, as stored after the collection.
        public var job: JobRecord
        /// Its `sent` rows per outcome word.
        public var counts: [String: Int]
        /// Rows whose question got no usable answer (V1): their outcome is unchanged; ask again later.
        public var unanswered: Int
        /// The folder its report files were written to.
        public var reportDirectory: String
    }

    /// The API could not be asked about a job: nothing of it was recorded.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The job.
        public var jobID: String
        /// Why, in one line.
        public var reason: String

        /// A failure of job `jobID` (a provider's companion reports one too).
        public init(jobID: String, reason: String) {
            self.jobID = jobID
            self.reason = reason
        }

        /// One line naming the job and the reason.
        public var description: String { "outcomes of job \(jobID) could not be asked: \(reason)" }
    }

    private let store: any OutcomeStore
    private let provider: any VerificationProvider
    private let transport: any HTTPTransport
    private let companion: (any ProviderCompanion)?
    private let configuration: Configuration
    private let logger: Logger
    private let metrics: RunMetrics?
    private let reportDirectory: @Sendable (String) -> String
    private let queue = DispatchQueue(label: "verifyd.outcomes")

    /// Creates a collector for the jobs of one provider.
    ///
    /// - Parameters:
    ///   - companion: the provider's companion, when it reads outcomes in bulk (V2: required there).
    ///   - reportDirectory: a job's report folder, by job id.
    public init(
        store: any OutcomeStore, provider: any VerificationProvider, transport: any HTTPTransport,
        companion: (any ProviderCompanion)?, configuration: Configuration, logger: Logger, metrics: RunMetrics? = nil,
        reportDirectory: @escaping @Sendable (String) -> String
    ) {
        self.store = store
        self.provider = provider
        self.transport = transport
        self.companion = companion
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.reportDirectory = reportDirectory
    }

    /// Collects the outcomes of `jobs` (finished jobs of this collector's provider).
    ///
    /// - Parameter completion: runs once, on the collector's queue: each job's result, or the first
    ///   failure (the jobs before it are recorded; the others are not asked).
    public func collect(_ jobs: [JobRecord], completion: @escaping @Sendable (Result<[JobResult], Failure>) -> Void) {
        queue.async {
            do {
                let rows = try jobs.map { try self.store.sentRows(jobID: $0.id) }
                if let companion = self.companion {
                    self.collectFromCompanion(jobs, rows: rows, companion: companion, completion: completion)
                } else {
                    self.collectByStatus(jobs, rows: rows, done: [], completion: completion)
                }
            } catch {
                completion(.failure(Failure(jobID: jobs.first?.id ?? "-", reason: "\(error)")))
            }
        }
    }

    // MARK: In bulk, from the provider's companion

    private func collectFromCompanion(
        _ jobs: [JobRecord], rows: [[SentRow]], companion: any ProviderCompanion,
        completion: @escaping @Sendable (Result<[JobResult], Failure>) -> Void
    ) {
        companion.readOutcomes(
            of: jobs, rows: rows, configuration: configuration, now: Timestamp.nowSeconds(), on: queue
        ) { result in
            switch result {
            case .failure(let failure):
                completion(.failure(failure))
            case .success(let outcomes):
                var results: [JobResult] = []
                for (job, (jobRows, jobOutcomes)) in zip(jobs, zip(rows, outcomes)) {
                    do {
                        let unanswered = jobOutcomes.count { $0 == nil }
                        results.append(
                            try self.record(job, rows: jobRows, outcomes: jobOutcomes, unanswered: unanswered))
                    } catch {
                        return completion(.failure(Failure(jobID: job.id, reason: "\(error)")))
                    }
                }
                completion(.success(results))
            }
        }
    }

    // MARK: One status question per row

    private func collectByStatus(
        _ jobs: [JobRecord], rows: [[SentRow]], done: [JobResult],
        completion: @escaping @Sendable (Result<[JobResult], Failure>) -> Void
    ) {
        guard let jobRows = rows.first else { return completion(.success(done)) }
        let provider = self.provider
        // Rows without a uuid cannot be asked: the API can no longer tell which verification was theirs.
        let questions = jobRows.map { row -> HTTPRequest? in
            guard let id = row.providerID else { return nil }
            return provider.outcomeRequest(providerID: id)
        }
        let fanOut = RequestFanOut(
            transport: transport,
            configuration: RequestFanOut.Configuration(
                concurrency: configuration.concurrency, rate: configuration.rate, timeout: configuration.timeout,
                maxTries: configuration.maxTries),
            metrics: metrics)
        fanOut.run(
            questions.compactMap { $0 }, label: "outcome_query",
            read: { outcome -> VerificationOutcome? in
                guard case .success(let response) = outcome else { return nil }
                return provider.interpretOutcome(response)
            },
            completion: { answers in
                self.queue.async {
                    self.recordStatusAnswers(
                        answers, questions: questions, jobs: jobs, rows: rows, done: done, completion: completion)
                }
            })
    }

    /// Records the answers to one job's status questions, then asks about the next job.
    private func recordStatusAnswers(
        _ answers: [VerificationOutcome?], questions: [HTTPRequest?], jobs: [JobRecord], rows: [[SentRow]],
        done: [JobResult], completion: @escaping @Sendable (Result<[JobResult], Failure>) -> Void
    ) {
        guard let job = jobs.first, let jobRows = rows.first else { return completion(.success(done)) }
        var outcomes: [VerificationOutcome?] = []
        var answered = answers.makeIterator()
        var unanswered = 0
        for question in questions {
            guard question != nil else {
                outcomes.append(.unknown)
                continue
            }
            let answer = answered.next() ?? nil
            if answer == nil { unanswered += 1 }
            outcomes.append(answer)
        }
        do {
            let result = try record(job, rows: jobRows, outcomes: outcomes, unanswered: unanswered)
            collectByStatus(
                Array(jobs.dropFirst()), rows: Array(rows.dropFirst()), done: done + [result], completion: completion)
        } catch {
            completion(.failure(Failure(jobID: job.id, reason: "\(error)")))
        }
    }

    // MARK: Recording

    /// Merges the new outcomes with the stored ones, stores them and writes the job's report files again.
    ///
    /// - Parameter outcomes: per row of `rows`; `nil` leaves a row as it was (its question got no answer).
    private func record(_ job: JobRecord, rows: [SentRow], outcomes: [VerificationOutcome?], unanswered: Int) throws
        -> JobResult
    {
        let merged = zip(rows, outcomes).compactMap { row, outcome in
            outcome.map { (row.sequence, VerificationOutcome.merged(stored: row.outcome, newer: $0)) }
        }
        try store.recordOutcomes(jobID: job.id, merged, checkedAt: Timestamp.now())
        let stored = try store.job(id: job.id) ?? job
        let directory = reportDirectory(job.id)
        try ReportWriter(store: store).write(job: stored, to: directory)
        var counts: [String: Int] = [:]
        for outcome in merged.map(\.1) { counts[outcome.rawValue, default: 0] += 1 }
        for row in zip(rows, outcomes) where row.1 == nil {
            counts[row.0.outcome?.rawValue ?? "none", default: 0] += 1
        }
        logger.info(
            "outcomes recorded",
            metadata: [
                "job.id": "\(job.id)",
                "outcomes":
                    "\(VerificationOutcome.allCases.map { "\($0.rawValue) \(counts[$0.rawValue] ?? 0)" }.joined(separator: ", "))",
            ])
        return JobResult(job: stored, counts: counts, unanswered: unanswered, reportDirectory: directory)
    }
}
