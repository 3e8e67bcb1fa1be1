public import Dispatch
public import Logging

/// Verify V2's companion: the process's one ``AttemptsClient`` (within the API's 100 requests a minute), through
/// which rows in doubt are looked up (``AttemptsLookUp``) and outcomes are read (listings over the jobs' sending
/// time, joined by verification sid: ``OutcomeRule``, docs/outcomes.md).
public final class VerifyV2Companion: ProviderCompanion {
    private let client: AttemptsClient

    /// Creates the companion over its client.
    public init(client: AttemptsClient) {
        self.client = client
    }

    /// An ``AttemptsLookUp`` over the client.
    public func makeInDoubtLookUp(
        margin: Duration, logger: Logger, answeredRequests: @escaping @Sendable (ClosedRange<Int>) -> Int
    ) -> any InDoubtLookUp {
        AttemptsLookUp(client: client, margin: margin, logger: logger, answeredRequests: answeredRequests)
    }

    /// Stops the client's listings.
    public func stop() { client.stop() }

    /// What the listings found, by verification sid and, for rows without one, by number.
    private final class Findings: @unchecked Sendable {
        // @unchecked: touched only on the caller's queue.
        var bySID: [String: OutcomeRule.Evidence] = [:]
        var byNumber: [String: [VerificationAttempt]] = [:]
    }

    /// Lists the attempts of the service over the jobs' sending time (their windows within the 30 days the API
    /// keeps, the overlapping ones joined) and gives each row the outcome its verification's attempts show.
    public func readOutcomes(
        of jobs: [JobRecord], rows: [[SentRow]], configuration: OutcomeCollector.Configuration, now: Double,
        on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<[[VerificationOutcome?]], OutcomeCollector.Failure>) -> Void
    ) {
        let skew = configuration.clockSkew
        let rule = OutcomeRule(lifetime: configuration.codeLifetime.seconds)
        let windows = jobs.compactMap { job -> ClosedRange<Double>? in
            guard let started = job.startedAt.flatMap(Timestamp.seconds(fromISO8601:)) else { return nil }
            let finished = job.finishedAt.flatMap(Timestamp.seconds(fromISO8601:)) ?? now
            return (started - skew).rounded(.down)...(max(started, finished) + skew).rounded(.up)
        }
        let sids = Set(rows.joined().compactMap(\.providerID))
        let numbers = Set(rows.joined().filter { $0.providerID == nil }.map(\.e164))
        let findings = Findings()
        let ranges = Self.merged(windows.filter { $0.upperBound >= now - AttemptEvidence(margin: 0).retention })
        let client = self.client
        @Sendable func listNext(_ ranges: ArraySlice<ClosedRange<Double>>) {
            guard let range = ranges.first else {
                return completion(
                    .success(Self.outcomes(of: rows, findings: findings, rule: rule, skew: skew, now: now)))
            }
            client.list(
                AttemptsQuery(createdFrom: range.lowerBound, createdTo: range.upperBound), on: queue,
                onPage: { page in
                    for attempt in page {
                        if sids.contains(attempt.verificationSID) {
                            findings.bySID[attempt.verificationSID, default: OutcomeRule.Evidence(attempt)].add(attempt)
                        } else if numbers.contains(attempt.to) {
                            findings.byNumber[attempt.to, default: []].append(attempt)
                        }
                    }
                },
                completion: { result in
                    switch result {
                    case .success: listNext(ranges.dropFirst())
                    case .failure(let failure):
                        completion(
                            .failure(
                                OutcomeCollector.Failure(jobID: jobs.first?.id ?? "-", reason: failure.description)))
                    }
                })
        }
        listNext(ranges[...])
    }

    /// Each row's outcome from what the listings found.
    private static func outcomes(
        of rows: [[SentRow]], findings: Findings, rule: OutcomeRule, skew: Double, now: Double
    ) -> [[VerificationOutcome?]] {
        rows.map { jobRows in
            jobRows.map { row -> VerificationOutcome? in
                var evidence = row.providerID.flatMap { findings.bySID[$0] }
                if row.providerID == nil, let startedAt = row.startedAt {
                    // No verification sid (its start's answer was lost): the attempts to its number since then.
                    for attempt in findings.byNumber[row.e164] ?? []
                    where attempt.createdAt >= (startedAt - skew).rounded(.down) {
                        if evidence == nil { evidence = OutcomeRule.Evidence(attempt) } else { evidence?.add(attempt) }
                    }
                }
                return rule.outcome(of: evidence, now: now)
            }
        }
    }

    /// Time ranges with the overlapping ones joined, in order.
    static func merged(_ ranges: [ClosedRange<Double>]) -> [ClosedRange<Double>] {
        var merged: [ClosedRange<Double>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}
