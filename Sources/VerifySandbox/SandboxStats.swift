import NIOCore
import Synchronization

/// Counters of what the sandbox has received since it started or was last reset.
///
/// Served as JSON by `GET /_sandbox/stats` and returned by ``SandboxServer/stats()``. Requests to `/_sandbox/…`
/// themselves are not counted.
public struct SandboxStats: Sendable, Codable, Equatable {
    /// Every request received, whatever its answer.
    public var requests: Int
    /// Start requests (V1 and V2) that passed authentication, including the ones refused for their number.
    public var starts: Int
    /// Check requests (V1 check, V2 VerificationCheck) that passed authentication.
    public var checks: Int
    /// Status queries (V1 status, V2 fetch of a verification) that passed authentication.
    public var statusQueries: Int
    /// Requests to the V2 Verification Attempts API (`/v2/Attempts…`: list, fetch and summary) that passed
    /// authentication, the ones refused by its per-minute limit included.
    public var attemptRequests: Int
    /// Start requests per E.164 number (as the client sent it, once it could be read as a number).
    public var startsByNumber: [String: Int]
    /// Codes actually sent (start requests accepted) per E.164 number: what a person would receive.
    public var deliveredByNumber: [String: Int]
    /// Responses per HTTP status code, keyed by its decimal text (`"201"`).
    public var responsesByStatus: [String: Int]
    /// Injected faults by name (`--fault-…`: `"429"`, `"drop_after"`, `"hang"`…).
    public var faults: [String: Int]

    /// Creates counters, all zero by default.
    public init(
        requests: Int = 0, starts: Int = 0, checks: Int = 0, statusQueries: Int = 0, attemptRequests: Int = 0,
        startsByNumber: [String: Int] = [:], deliveredByNumber: [String: Int] = [:],
        responsesByStatus: [String: Int] = [:], faults: [String: Int] = [:]
    ) {
        self.requests = requests
        self.starts = starts
        self.checks = checks
        self.statusQueries = statusQueries
        self.attemptRequests = attemptRequests
        self.startsByNumber = startsByNumber
        self.deliveredByNumber = deliveredByNumber
        self.responsesByStatus = responsesByStatus
        self.faults = faults
    }
}

/// The live, thread-safe counters behind ``SandboxStats``; shared by every event loop.
///
/// Every API request passes here once or twice, so the live form is cheaper than ``SandboxStats``: statuses are
/// counted in an array indexed by code, starts and deliveries per number in one table (one lookup per start),
/// and only ``snapshot()`` turns them into the public shape. It also keeps the requests that wait for the starts to
/// reach a count (the long poll of `GET /_sandbox/stats?wait_for_starts=N`, ``whenStarts(reach:on:timeout:_:)``)
/// and tells each as soon as the start that reaches its count is recorded: nothing polls.
final class StatsRecorder: Sendable {
    /// The live counters.
    private struct Counters {
        /// Start requests and codes sent to one number.
        struct PerNumber {
            var starts = 0
            var deliveries = 0

            /// Counts one start, and its delivery if it had one.
            mutating func count(delivered: Bool) {
                starts += 1
                if delivered { deliveries += 1 }
            }
        }

        /// Every field of ``SandboxStats`` but the three dictionaries, which are kept below.
        var stats = SandboxStats()
        /// Starts and deliveries per number, in one table so that a start costs one lookup.
        var byNumber: [String: PerNumber] = [:]
        /// Responses per HTTP status code, indexed by the code.
        var responsesByStatus = [Int](repeating: 0, count: 600)
        /// Requests waiting for the starts to reach a count; kept by ``StatsRecorder/reset()``.
        var startWaiters = StartWaiters()
    }

    /// The requests waiting for the starts to reach a count, each told once: when the count is reached, or when
    /// its timeout passes, whichever comes first.
    private struct StartWaiters {
        /// One waiting request.
        struct Waiter {
            /// Tells it apart from the others, for its timeout.
            var id: UInt64
            /// The starts it waits for.
            var count: Int
            /// Its connection's event loop, where ``notify`` runs.
            var eventLoop: any EventLoop
            /// Sends the answer; runs on ``eventLoop``.
            var notify: @Sendable () -> Void
            /// The task that tells it when its timeout passes; cancelled when the count comes first.
            var timeout: Scheduled<Void>?
        }

        /// The waiting requests, in no particular order.
        private var waiters: [Waiter] = []
        /// The id of the next waiter.
        private var nextID: UInt64 = 0

        /// Adds a waiter and returns its id.
        mutating func add(count: Int, eventLoop: any EventLoop, notify: @escaping @Sendable () -> Void) -> UInt64 {
            nextID += 1
            waiters.append(Waiter(id: nextID, count: count, eventLoop: eventLoop, notify: notify))
            return nextID
        }

        /// Gives a waiter its timeout task; `false` when the waiter is already gone (told meanwhile).
        mutating func setTimeout(_ timeout: Scheduled<Void>, of id: UInt64) -> Bool {
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return false }
            waiters[index].timeout = timeout
            return true
        }

        /// Removes a waiter and returns it; `nil` when it is already gone.
        mutating func remove(_ id: UInt64) -> Waiter? {
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index)
        }

        /// Removes and returns the waiters whose count `starts` reaches (none, without allocating, when none waits).
        mutating func removeReached(by starts: Int) -> [Waiter] {
            guard waiters.contains(where: { $0.count <= starts }) else { return [] }
            defer { waiters.removeAll { $0.count <= starts } }
            return waiters.filter { $0.count <= starts }
        }
    }

    /// The counters; a `Mutex` because connections on different event loops update them.
    private let counters = Mutex(Counters())

    /// Counts a start request, under its number when it has one, and the code sent when it was accepted.
    ///
    /// - Parameters:
    ///   - number: the E.164 number as the client sent it, once it could be read as one.
    ///   - delivered: whether a code was sent (the start succeeded); only counted under a number.
    func recordStart(number: String?, delivered: Bool) {
        let reached = counters.withLock { counters in
            counters.stats.starts += 1
            if let number { counters.byNumber[number, default: Counters.PerNumber()].count(delivered: delivered) }
            return counters.startWaiters.removeReached(by: counters.stats.starts)
        }
        for waiter in reached {
            waiter.timeout?.cancel()
            waiter.eventLoop.execute(waiter.notify)
        }
    }

    /// Arranges for `notify` to run once on `eventLoop`: as soon as the starts reach `count` (at once when they
    /// have), or when `timeout` has passed, whichever comes first. Nothing polls: the start that reaches the count
    /// tells the waiter.
    ///
    /// - Parameters:
    ///   - count: the starts to wait for.
    ///   - eventLoop: where `notify` runs (the requesting connection's).
    ///   - timeout: how long to wait at most.
    ///   - notify: sends the answer, with the counts as they are then.
    func whenStarts(
        reach count: Int, on eventLoop: any EventLoop, timeout: TimeAmount, _ notify: @escaping @Sendable () -> Void
    ) {
        let id = counters.withLock { counters -> UInt64? in
            guard counters.stats.starts < count else { return nil }
            return counters.startWaiters.add(count: count, eventLoop: eventLoop, notify: notify)
        }
        guard let id else {
            eventLoop.execute(notify)
            return
        }
        let timeout = eventLoop.scheduleTask(in: timeout) {
            guard let waiter = self.counters.withLock({ $0.startWaiters.remove(id) }) else { return }
            waiter.notify()
        }
        if !counters.withLock({ $0.startWaiters.setTimeout(timeout, of: id) }) { timeout.cancel() }
    }

    /// Counts a check request.
    func recordCheck() {
        counters.withLock { $0.stats.checks += 1 }
    }

    /// Counts a status query.
    func recordStatusQuery() {
        counters.withLock { $0.stats.statusQueries += 1 }
    }

    /// Counts a request to the Verification Attempts API.
    func recordAttemptRequest() {
        counters.withLock { $0.stats.attemptRequests += 1 }
    }

    /// Counts an injected fault; a request that gets no answer at all (`unanswered`) is counted here
    /// among the requests too, since ``recordResponse(status:)`` never sees it.
    func recordFault(_ name: String, unanswered: Bool) {
        counters.withLock { counters in
            counters.stats.faults[name, default: 0] += 1
            if unanswered { counters.stats.requests += 1 }
        }
    }

    /// Counts a request by the status of the answer it gets (100…599).
    func recordResponse(status: Int) {
        counters.withLock { counters in
            counters.stats.requests += 1
            counters.responsesByStatus[status] += 1
        }
    }

    /// A copy of the counters.
    func snapshot() -> SandboxStats {
        counters.withLock { counters in
            var stats = counters.stats
            for (number, counts) in counters.byNumber {
                stats.startsByNumber[number] = counts.starts
                if counts.deliveries > 0 { stats.deliveredByNumber[number] = counts.deliveries }
            }
            for (status, count) in counters.responsesByStatus.enumerated() where count > 0 {
                stats.responsesByStatus[String(status)] = count
            }
            return stats
        }
    }

    /// Sets every counter back to zero; the requests waiting for a count of starts keep waiting (for the new count).
    func reset() {
        counters.withLock { $0 = Counters(startWaiters: $0.startWaiters) }
    }
}
