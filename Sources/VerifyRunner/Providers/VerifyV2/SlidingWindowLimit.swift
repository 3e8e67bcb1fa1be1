/// At most `limit` requests in any `window` seconds: the Verification Attempts API allows 100 requests a
/// minute per account, and a client that keeps to a sliding window stays within any way of counting that
/// limit (a fixed minute, a sliding one, or a bucket refilled over the minute).
///
/// A pure value: the caller passes the current time (any monotonic seconds), so tests drive it with a fake
/// clock.
public struct SlidingWindowLimit: Sendable, Equatable {
    /// Requests allowed per window.
    public let limit: Int
    /// The window, in seconds.
    public let window: Double
    /// When the requests of the last window were made, oldest first.
    private var sent: [Double] = []
    /// Nothing may be sent before this time (a `Retry-After`).
    private var blockedUntil: Double = -.infinity

    /// Creates a limit of `limit` requests per `window` seconds.
    public init(limit: Int, window: Double = 60) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Takes a slot for a request now, if one is free.
    ///
    /// - Parameter now: the current time in seconds.
    /// - Returns: `nil` when the request may go now (it is counted); otherwise the seconds to wait.
    public mutating func take(now: Double) -> Double? {
        if now < blockedUntil { return blockedUntil - now }
        sent.removeAll { $0 <= now - window }
        guard sent.count < limit else { return sent[sent.count - limit] + window - now }
        sent.append(now)
        return nil
    }

    /// The API said to wait (`Retry-After`): nothing is sent for `seconds` from `now`.
    public mutating func block(for seconds: Double, now: Double) {
        blockedUntil = max(blockedUntil, now + seconds)
    }
}
