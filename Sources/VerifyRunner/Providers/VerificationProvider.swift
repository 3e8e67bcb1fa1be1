/// One verification API, behind the interface the scheduler uses (docs/contract.md, "Providers and
/// credentials": the scheduler, store and reports never look at provider-specific fields except through it).
///
/// Implementations are pure: they build requests and read answers, and never do I/O.
public protocol VerificationProvider: Sendable {
    /// Which API this is.
    var name: ProviderName { get }

    /// The request that starts (or checks, for check rows) a verification for `target`.
    func request(for target: VerificationTarget) -> HTTPRequest

    /// What an HTTP answer to ``request(for:)`` means for the row (any status).
    func interpret(_ response: HTTPResponse, for target: VerificationTarget) -> ProviderResult

    /// A request asking whether a verification for `target` exists, or `nil` when the API has no
    /// way to ask that by phone number.
    func statusRequest(for target: VerificationTarget) -> HTTPRequest?

    /// Reads the answer to ``statusRequest(for:)``: `true` when a verification is pending or done,
    /// `false` when the API has none, `nil` when the answer says neither.
    func interpretStatus(_ response: HTTPResponse) -> Bool?

    /// How a request in doubt can be asked about: V1 by its status question, V2 by a look-up in its Verification
    /// Attempts API. `.statusQuestion` needs ``statusRequest(for:)`` to build a request for every target, and
    /// `.lookUp` a companion that makes the look-up (``makeCompanion(transport:timeout:metrics:)``).
    var inDoubtQuestion: InDoubtQuestion { get }

    /// What the provider brings for the whole process beyond single requests (its own look-up of rows in doubt,
    /// its own reading of outcomes), over the process's transport; `nil` when it has none.
    ///
    /// - Parameters:
    ///   - timeout: `--timeout`, the time limit of one request.
    ///   - metrics: where its requests are counted, if anywhere.
    func makeCompanion(transport: any HTTPTransport, timeout: Duration, metrics: RunMetrics?) -> (
        any ProviderCompanion
    )?

    /// A request asking what became of the verification the provider named `providerID` (V1: its
    /// status by `uuid`), or `nil` when the provider reads outcomes through its companion instead.
    func outcomeRequest(providerID: String) -> HTTPRequest?

    /// Reads the answer to ``outcomeRequest(providerID:)``; `nil` when the answer says nothing usable.
    func interpretOutcome(_ response: HTTPResponse) -> VerificationOutcome?
}

extension VerificationProvider {
    /// What the outcome of a transfer means for the row: a transfer that produced no answer is
    /// classified the same way for every provider (``ResponseClassifier/classify(_:)``).
    public func interpret(_ outcome: Result<HTTPResponse, TransportFailure>, for target: VerificationTarget)
        -> ProviderResult
    {
        switch outcome {
        case .success(let response): return interpret(response, for: target)
        case .failure(let failure): return ResponseClassifier.classify(failure)
        }
    }

    /// Reads the outcome of a status question; a transfer without an answer says neither.
    public func interpretStatus(_ outcome: Result<HTTPResponse, TransportFailure>) -> Bool? {
        guard case .success(let response) = outcome else { return nil }
        return interpretStatus(response)
    }
}
