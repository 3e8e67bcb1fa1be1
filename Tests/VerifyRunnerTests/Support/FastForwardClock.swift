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

/// A clock that stands still: its timers wait until ``advance(to:)`` moves the time past them, so a test holds a
/// run at one moment (a send window closed) and decides when time goes on.
final class HandClock: RunClock {
    /// A timer not yet due.
    private struct Timer {
        var due: Double
        var delay: Double
        var queue: DispatchQueue
        var body: @Sendable () -> Void
    }

    /// Seconds since the clock was made, the timers not yet due, and who waits for a number of them.
    private struct State {
        var elapsed: Double = 0
        var timers: [Timer] = []
        var waiters: [(count: Int, longerThan: Double, notify: @Sendable () -> Void)] = []

        /// Whether `count` timers wait that are due more than `longerThan` seconds after they were set.
        func has(_ count: Int, longerThan: Double) -> Bool {
            timers.count(where: { $0.delay > longerThan }) >= count
        }
    }

    private let state = Mutex(State())
    /// The wall-clock time it started at, seconds since 1970.
    let start: Double

    /// Creates a clock whose wall time starts at `start`, seconds since 1970.
    init(start: Double) {
        self.start = start
    }

    func now() -> Double { start + uptime() }

    func uptime() -> Double { state.withLock { $0.elapsed } }

    func schedule(after delay: Double, on queue: DispatchQueue, _ body: @escaping @Sendable () -> Void) {
        guard delay > 0 else { return queue.async(execute: body) }
        let ready = state.withLock { state in
            state.timers.append(Timer(due: state.elapsed + delay, delay: delay, queue: queue, body: body))
            let now = state
            let ready = now.waiters.filter { now.has($0.count, longerThan: $0.longerThan) }
            state.waiters.removeAll { now.has($0.count, longerThan: $0.longerThan) }
            return ready
        }
        ready.forEach { $0.notify() }
    }

    /// Returns once at least `count` timers set for more than `longerThan` seconds wait for the time to move.
    func waitForTimers(_ count: Int, longerThan: Double) async {
        await withCheckedContinuation { continuation in
            let isReady = state.withLock { state in
                guard !state.has(count, longerThan: longerThan) else { return true }
                state.waiters.append((count, longerThan, { continuation.resume() }))
                return false
            }
            if isReady { continuation.resume() }
        }
    }

    /// Moves the wall time to `wall` (seconds since 1970) and runs the timers due by then, in order.
    func advance(to wall: Double) {
        let due = state.withLock { state in
            state.elapsed = max(state.elapsed, wall - start)
            let elapsed = state.elapsed
            let due = state.timers.filter { $0.due <= elapsed }.sorted { $0.due < $1.due }
            state.timers.removeAll { $0.due <= elapsed }
            return due
        }
        for timer in due { timer.queue.async(execute: timer.body) }
    }
}
