/// One verification API, behind the interface the scheduler uses (SPEC.md §1: the scheduler,
/// store and reports never look at provider-specific fields except through it).
///
/// Implementations are pure: they build requests and read answers, and never do I/O.
public protocol VerificationProvider: Sendable {
    /// Which API this is.
    var name: ProviderName { get }

    /// The request that starts (or checks, for check rows) a verification for `target`.
    func request(for target: VerificationTarget) -> HTTPRequest

    /// What the answer to ``request(for:)`` means for the row.
    func interpret(_ outcome: Result<HTTPResponse, TransportFailure>, for target: VerificationTarget)
        -> ProviderResult

    /// A request asking whether a verification for `target` exists, or `nil` when the API has no
    /// way to ask that by phone number.
    func statusRequest(for target: VerificationTarget) -> HTTPRequest?

    /// Reads the answer to ``statusRequest(for:)``: `true` when a verification is pending or done,
    /// `false` when the API has none, `nil` when the answer says neither.
    func interpretStatus(_ outcome: Result<HTTPResponse, TransportFailure>) -> Bool?
}
