/// Slows the send rate down by itself when the API answers 429, and creeps back up while it does
/// not: additive increase, multiplicative decrease (AIMD), as TCP does with its window.
///
/// A pure value with injected time (monotonic seconds). The rate never exceeds the configured
/// ceiling (`--rate`); with no ceiling (`--rate 0`) it is unlimited until the first 429, which sets
/// it to half the rate of answers observed over the last second.
///
/// | event | effect |
/// |---|---|
/// | 429 | rate × `decrease`, at most once per `holdOff` (a burst of 429s from one overload halves once) |
/// | any other answer | + `increasePerSecond` × elapsed seconds, up to the ceiling |
public struct AdaptiveRate: Sendable, Equatable {
    /// The configured limit, 0 = none.
    public let ceiling: Double
    /// The rate in force; `nil` = unlimited.
    public private(set) var current: Double?
    private let decrease: Double
    private let holdOff: Double
    private let increasePerSecond: Double
    private var lastDecrease = -Double.infinity
    private var lastIncrease: Double?

    /// Creates the controller at the ceiling.
    ///
    /// - Parameters:
    ///   - ceiling: `--rate`; 0 = no limit.
    ///   - decrease: the factor applied on a 429.
    ///   - holdOff: seconds between two decreases.
    ///   - increasePerSecond: requests per second added per second without 429 (default: 5% of the
    ///     ceiling, or 5 per second without one).
    public init(ceiling: Double, decrease: Double = 0.5, holdOff: Double = 1, increasePerSecond: Double? = nil) {
        self.ceiling = max(0, ceiling)
        self.current = ceiling > 0 ? ceiling : nil
        self.decrease = decrease
        self.holdOff = holdOff
        self.increasePerSecond = increasePerSecond ?? (ceiling > 0 ? ceiling / 20 : 5)
    }

    /// The API said "too many requests".
    ///
    /// - Parameters:
    ///   - now: monotonic seconds.
    ///   - observedRate: answers per second over the last second (used when no rate is in force).
    /// - Returns: the new rate, or `nil` when it did not change.
    public mutating func rateLimited(now: Double, observedRate: Double) -> Double? {
        guard now - lastDecrease >= holdOff else { return nil }
        lastDecrease = now
        lastIncrease = now
        let next = max(1, (current ?? max(1, observedRate)) * decrease)
        current = next
        return next
    }

    /// An answer that was not a 429 arrived.
    ///
    /// - Returns: the new rate, or `nil` when it did not change.
    public mutating func answered(now: Double) -> Double? {
        guard let rate = current else { return nil }
        let since = lastIncrease ?? now
        lastIncrease = now
        guard now > since else { return nil }
        var next = rate + increasePerSecond * (now - since)
        if ceiling > 0 { next = min(next, ceiling) }
        guard next != rate else { return nil }
        current = next
        return next
    }
}
