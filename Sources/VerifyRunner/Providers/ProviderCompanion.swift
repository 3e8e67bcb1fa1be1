public import Dispatch
public import Logging

/// What a provider brings for a whole process beyond single requests, built once over the process's transport
/// (``VerificationProvider/makeCompanion(transport:timeout:metrics:)``): its own look-up of rows in doubt (for a
/// provider whose ``VerificationProvider/inDoubtQuestion`` is `.lookUp`) and its own reading of outcomes in bulk.
/// Verify V2's is ``VerifyV2Companion``, over the Verification Attempts API; Authy V1 has none (it asks a status
/// question per row for both).
public protocol ProviderCompanion: Sendable {
    /// A look-up of rows in doubt for one job's run.
    ///
    /// - Parameters:
    ///   - margin: `--in-doubt-margin`: how long after a request can no longer leave the API surely shows it.
    ///   - answeredRequests: how many of the store's requests were answered in a span of seconds since 1970.
    func makeInDoubtLookUp(
        margin: Duration, logger: Logger, answeredRequests: @escaping @Sendable (ClosedRange<Int>) -> Int
    ) -> any InDoubtLookUp

    /// Reads what became of the sent rows of `jobs`: per job, an outcome per row of `rows` in order (`nil`: the
    /// API could not say for that row now). `completion` runs once, on `queue`.
    ///
    /// - Parameters:
    ///   - configuration: the operator's settings (`--code-lifetime`, the clock skew allowed).
    ///   - now: the time, seconds since 1970.
    func readOutcomes(
        of jobs: [JobRecord], rows: [[SentRow]], configuration: OutcomeCollector.Configuration, now: Double,
        on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<[[VerificationOutcome?]], OutcomeCollector.Failure>) -> Void)

    /// Ends what it has under way: a listing in progress stops asking and fails.
    func stop()
}
