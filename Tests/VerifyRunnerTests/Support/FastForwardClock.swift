import Dispatch
import Synchronization
import VerifyRunner

/// A manual clock that fast-forwards through every wait: a timer fires at once, on its queue, and moves the clock
/// to its deadline. A run that backs off, waits for tokens or for a margin never waits in real time, yet every time
/// it reads (row time stamps, retry windows, the Attempts API's retention) is as if it had.
final class FastForwardClock: RunClock {
    /// Seconds the clock has moved since it was made.
    private let elapsed = Mutex<Double>(0)
    /// The wall-clock time it started at, seconds since 1970.
    let start: Double

    /// Creates a clock whose wall time starts at `start`, seconds since 1970.
    init(start: Double) {
        self.start = start
    }

    func now() -> Double { start + uptime() }

    func uptime() -> Double { elapsed.withLock { $0 } }

    func schedule(after delay: Double, on queue: DispatchQueue, _ body: @escaping @Sendable () -> Void) {
        let deadline = uptime() + max(0, delay)
        queue.async {
            self.elapsed.withLock { $0 = max($0, deadline) }
            body()
        }
    }
}
