/// How long to wait before retrying a row: exponential backoff with full jitter, never shorter than
/// the server's `Retry-After`.
///
/// `delay(afterAttempt: n)` draws uniformly from `0 … min(cap, base × 2^(n-1))` (the "full jitter"
/// of the AWS architecture blog), then takes the larger of that and `Retry-After`. The jitter source
/// is injected so tests are deterministic.
public struct RetryPolicy: Sendable {
    /// The first backoff ceiling.
    public var base: Duration
    /// The largest backoff ceiling.
    public var cap: Duration
    /// Returns a value in `0 ... 1`; production uses the system random generator.
    public var jitter: @Sendable () -> Double

    /// Creates a policy.
    public init(
        base: Duration = .milliseconds(500), cap: Duration = .seconds(30),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before the next request, after `attempt` requests have failed.
    ///
    /// - Parameters:
    ///   - attempt: requests sent so far for the row (≥ 1).
    ///   - retryAfter: the server's `Retry-After`, if any.
    /// - Returns: how long to wait.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(cap, base * (1 << exponent))
        let fraction = min(max(jitter(), 0), 1)
        let drawn = ceiling * fraction
        guard let retryAfter else { return drawn }
        return max(drawn, retryAfter)
    }
}
