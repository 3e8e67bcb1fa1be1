/// Where the pump takes a token for each request (``SendPlan``): this runner's own ``TokenBucket``, or the
/// tokens a shared store's bucket granted it (``GrantedTokens``).
protocol RequestTokens {
    /// Takes one token if there is one; otherwise returns the seconds to wait before asking again.
    mutating func take(now: Double) -> Double?
}

extension TokenBucket: RequestTokens {}

/// Tokens granted to this runner by the bucket every runner of a shared store draws from (`--rate` is the
/// budget of the whole store): spent one per request, asked for again when they run out.
struct GrantedTokens: RequestTokens, Equatable {
    /// Tokens granted and not spent.
    var count = 0
    /// When the last grant came back short: the seconds until the shared bucket holds a whole grant again.
    var wait = 0.0

    mutating func take(now: Double) -> Double? {
        guard count > 0 else { return max(wait, Self.shortestWait) }
        count -= 1
        return nil
    }

    /// The least time between two grants asked for by one runner (5 ms): an empty bucket is not asked in a
    /// loop.
    static let shortestWait = 0.005

    /// Tokens asked for at a time at `rate`: a twentieth of a second of sends (at least 1), as the local
    /// bucket's burst; the shared bucket holds at most two such grants per runner.
    static func grantSize(rate: Double) -> Int { max(1, Int((rate / 20).rounded(.up))) }
}

/// What a shared store's bucket granted: tokens, and when none or too few were there, how long until the
/// next one is.
public struct RateGrant: Sendable, Equatable {
    /// Tokens granted.
    public var granted: Int
    /// Seconds to wait before asking again (0 when the grant was full): until the bucket holds a whole grant.
    public var wait: Double

    /// Creates a grant.
    public init(granted: Int, wait: Double) {
        self.granted = granted
        self.wait = wait
    }
}
