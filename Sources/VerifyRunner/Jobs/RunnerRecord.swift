import Foundation

/// One `verifyd run` process working on a store, as `verifyd runners` lists it.
public struct RunnerRecord: Sendable, Equatable, Codable {
    /// Unique per process: `HOST:PID:RANDOM`.
    public var id: String
    /// The host name it runs on.
    public var host: String
    /// Its process id on that host.
    public var pid: Int
    /// When it started (ISO 8601).
    public var startedAt: String
    /// When it last told the store it was alive (seconds since 1970).
    public var lastSeen: Double
    /// Requests it has sent.
    public var sent: Int
    /// When it ended its run (ISO 8601), `nil` while it runs or when it died.
    public var endedAt: String?

    /// Creates a record.
    public init(
        id: String, host: String, pid: Int, startedAt: String, lastSeen: Double, sent: Int, endedAt: String? = nil
    ) {
        self.id = id
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.sent = sent
        self.endedAt = endedAt
    }

    /// This process, started now: a new id on every start, so a restarted runner never inherits a lease.
    public static func thisProcess() -> RunnerRecord {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        let now = Timestamp.nowSeconds()
        return RunnerRecord(
            id: "\(host):\(pid):\(suffix)", host: host, pid: pid, startedAt: Timestamp.iso8601(now), lastSeen: now,
            sent: 0)
    }

    /// Whether it runs: not ended, and seen within `lease` of `now` (if not, it lost the rows it held).
    public func isAlive(lease: Duration, now: Double = Timestamp.nowSeconds()) -> Bool {
        endedAt == nil && lastSeen + lease.seconds >= now
    }
}
