public import Dispatch

/// The time a run reads and the timers it sets: ``SystemClock`` in production, a manual clock in tests, so a
/// scheduler's retries, waits and time stamps follow the test's hand rather than the machine's load.
public protocol RunClock: Sendable {
    /// Wall-clock time, seconds since 1970: time stamps of rows and jobs, retry windows.
    func now() -> Double
    /// Monotonic seconds since an arbitrary start: the scheduler's own timing (rate, commits, durations).
    func uptime() -> Double
    /// Runs `body` on `queue` once `delay` seconds have passed (at once for a delay of zero or less).
    func schedule(after delay: Double, on queue: DispatchQueue, _ body: @escaping @Sendable () -> Void)
}

/// The machine's clocks: `CLOCK_REALTIME` for the wall, Dispatch's uptime for the rest, Dispatch timers.
public struct SystemClock: RunClock {
    /// Creates the clock.
    public init() {}

    /// Seconds since 1970.
    public func now() -> Double { Timestamp.nowSeconds() }

    /// Dispatch's uptime in seconds.
    public func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// `queue.asyncAfter`.
    public func schedule(after delay: Double, on queue: DispatchQueue, _ body: @escaping @Sendable () -> Void) {
        queue.asyncAfter(deadline: .now() + max(0, delay), execute: body)
    }
}
