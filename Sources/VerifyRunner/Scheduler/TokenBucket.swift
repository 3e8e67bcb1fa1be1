/// A token bucket for `--rate`: at most `rate` sends per second on average, bursts of `capacity`.
///
/// A pure value: the caller passes the current time (any monotonic seconds), so tests drive it with
/// a fake clock. A rate of 0 means no limit.
public struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second; 0 means unlimited.
    public private(set) var rate: Double
    /// The most tokens the bucket holds.
    public private(set) var capacity: Double
    private var tokens: Double
    private var lastRefill: Double?

    /// Creates a full bucket.
    ///
    /// - Parameters:
    ///   - rate: sends per second (0 = unlimited).
    ///   - capacity: burst size; defaults to a twentieth of a second of sends, at least 1.
    public init(rate: Double, capacity: Double? = nil) {
        self.rate = max(0, rate)
        self.capacity = capacity ?? Self.burst(for: rate)
        self.tokens = self.capacity
    }

    /// Takes one token if there is one.
    ///
    /// - Parameter now: the current time in seconds (monotonic).
    /// - Returns: `nil` when a token was taken; otherwise the seconds to wait until one is due.
    public mutating func take(now: Double) -> Double? {
        guard rate > 0 else { return nil }
        refill(now: now)
        // The tolerance absorbs floating-point error in `elapsed × rate`.
        if tokens >= 1 - 1e-9 {
            tokens = max(0, tokens - 1)
            return nil
        }
        return (1 - tokens) / rate
    }

    /// Changes the rate (adaptive slow-down), keeping the tokens already earned; 0 = unlimited.
    public mutating func setRate(_ newRate: Double, now: Double) {
        refill(now: now)
        rate = max(0, newRate)
        capacity = Self.burst(for: rate)
        tokens = min(tokens, capacity)
    }

    /// The default burst: a twentieth of a second of sends, at least 1.
    private static func burst(for rate: Double) -> Double { max(1, (rate / 20).rounded(.up)) }

    private mutating func refill(now: Double) {
        if let lastRefill, now > lastRefill {
            tokens = min(capacity, tokens + (now - lastRefill) * rate)
        }
        lastRefill = max(now, lastRefill ?? now)
    }
}
