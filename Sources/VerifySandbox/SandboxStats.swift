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
    /// Start requests per E.164 number (as the client sent it, once it could be read as a number).
    public var startsByNumber: [String: Int]
    /// Codes actually sent (start requests accepted) per E.164 number: what a person would receive.
    public var deliveredByNumber: [String: Int]
    /// Responses per HTTP status code, keyed by its decimal text (`"201"`).
    public var responsesByStatus: [String: Int]

    /// Creates counters, all zero by default.
    public init(
        requests: Int = 0, starts: Int = 0, checks: Int = 0, statusQueries: Int = 0,
        startsByNumber: [String: Int] = [:], deliveredByNumber: [String: Int] = [:],
        responsesByStatus: [String: Int] = [:]
    ) {
        self.requests = requests
        self.starts = starts
        self.checks = checks
        self.statusQueries = statusQueries
        self.startsByNumber = startsByNumber
        self.deliveredByNumber = deliveredByNumber
        self.responsesByStatus = responsesByStatus
    }
}

/// The live, thread-safe counters behind ``SandboxStats``; shared by every event loop.
final class StatsRecorder: Sendable {
    /// The counters; a `Mutex` because connections on different event loops update them.
    private let counters = Mutex(SandboxStats())

    /// Counts a start request, under its number when it has one.
    func recordStart(number: String?) {
        counters.withLock { stats in
            stats.starts += 1
            if let number { stats.startsByNumber[number, default: 0] += 1 }
        }
    }

    /// Counts a code sent to `number` (a start request that was accepted).
    func recordDelivery(number: String) {
        counters.withLock { $0.deliveredByNumber[number, default: 0] += 1 }
    }

    /// Counts a check request.
    func recordCheck() {
        counters.withLock { $0.checks += 1 }
    }

    /// Counts a status query.
    func recordStatusQuery() {
        counters.withLock { $0.statusQueries += 1 }
    }

    /// Counts a request by the status of the answer it gets.
    func recordResponse(status: Int) {
        counters.withLock { stats in
            stats.requests += 1
            stats.responsesByStatus[String(status), default: 0] += 1
        }
    }

    /// A copy of the counters.
    func snapshot() -> SandboxStats {
        counters.withLock { $0 }
    }

    /// Sets every counter back to zero.
    func reset() {
        counters.withLock { $0 = SandboxStats() }
    }
}
